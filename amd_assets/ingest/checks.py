"""Checks on the ingest assets."""

from amd_assets.contracts.checks import SideRows, accounts_for_every_row_check, contract_check
from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, QUARANTINE, RAW_PROBLEMS
from amd_assets.ingest.assets import normalized_problems, raw_problems

ingest_checks = [
    contract_check(raw_problems, RAW_PROBLEMS, SideRows(QUARANTINE, "read")),
    contract_check(normalized_problems, NORMALIZED_PROBLEMS, SideRows(QUARANTINE, "normalize")),
    accounts_for_every_row_check(normalized_problems, NORMALIZED_PROBLEMS, RAW_PROBLEMS, QUARANTINE, ["normalize"]),
]
