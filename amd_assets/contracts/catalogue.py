"""Every lakehouse table's contract by name, from the modules that declare them (no Dagster import).

A stage that adds a table declares its `TableContract` in its `tables` module and adds that module here;
tests/test_contracts.py fails when a contract with writers is missing from the catalogue.
"""

from amd_assets.contracts.tables import CORE_TABLES, TableContract
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS, VERIFIER_VERSIONS

TABLES: dict[str, TableContract] = {
    contract.name: contract
    for contract in (
        *CORE_TABLES,
        TEACHER_RESPONSES,
        RESPONSE_VERDICTS,
        VERIFIER_VERSIONS,
        DISTILLED_SAMPLES,
        RELEASE_ROWS,
    )
}


def all_tables() -> dict[str, TableContract]:
    return dict(TABLES)
