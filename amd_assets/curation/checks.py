"""Checks on the curation assets: contracts, nothing vanishes between stages, dedup covers every problem."""

import pyarrow.compute as pc
from dagster import AssetCheckResult, asset_check

from amd_assets.contracts.checks import SideRows, accounts_for_every_row_check, contract_check, whole_table
from amd_assets.contracts.tables import (
    CURATED_PROBLEMS,
    DECONTAMINATED_PROBLEMS,
    DEDUP_DECISIONS,
    FILTERED_PROBLEMS,
    NORMALIZED_PROBLEMS,
    PROBLEM_SIGNATURES,
    REJECTIONS,
)
from amd_assets.curation.assets import (
    curated_problems,
    decontaminated_problems,
    dedup_decisions,
    filtered_problems,
    problem_signatures,
)
from resources.lakehouse import LakehouseResource


@asset_check(
    asset=dedup_decisions,
    name="covers_every_signature",
    blocking=True,
    description="Exactly one decision per signed problem, and every kept_problem_id is itself kept.",
)
def dedup_covers_every_signature(lakehouse: LakehouseResource) -> AssetCheckResult:
    signed = lakehouse.read(PROBLEM_SIGNATURES.name, columns=["problem_id"]).column("problem_id")
    decisions = lakehouse.read(DEDUP_DECISIONS.name, columns=["problem_id", "kept_problem_id", "is_kept"])
    decided = decisions.column("problem_id")
    kept = decisions.filter(decisions.column("is_kept")).column("problem_id")
    orphans = pc.sum(pc.invert(pc.is_in(decisions.column("kept_problem_id"), value_set=kept))).as_py() or 0
    missing = pc.sum(pc.invert(pc.is_in(signed, value_set=decided))).as_py() or 0
    duplicated = len(decided) - pc.count_distinct(decided).as_py()
    return AssetCheckResult(
        passed=missing == 0 and duplicated == 0 and orphans == 0 and len(decided) == len(signed),
        metadata={
            "signed": len(signed),
            "decided": len(decided),
            "missing": missing,
            "repeated": duplicated,
            "pointing_at_a_dropped_problem": orphans,
        },
    )


curation_checks = [
    contract_check(filtered_problems, FILTERED_PROBLEMS, SideRows(REJECTIONS, "filter")),
    accounts_for_every_row_check(filtered_problems, FILTERED_PROBLEMS, NORMALIZED_PROBLEMS, REJECTIONS, ["filter"]),
    contract_check(decontaminated_problems, DECONTAMINATED_PROBLEMS, SideRows(REJECTIONS, "decontaminate")),
    accounts_for_every_row_check(
        decontaminated_problems, DECONTAMINATED_PROBLEMS, FILTERED_PROBLEMS, REJECTIONS, ["decontaminate"]
    ),
    contract_check(problem_signatures, PROBLEM_SIGNATURES),
    contract_check(dedup_decisions, DEDUP_DECISIONS, scope=whole_table),
    dedup_covers_every_signature,
    contract_check(curated_problems, CURATED_PROBLEMS, SideRows(REJECTIONS, "curate")),
    accounts_for_every_row_check(
        curated_problems, CURATED_PROBLEMS, DECONTAMINATED_PROBLEMS, REJECTIONS, ["dedup", "curate"]
    ),
]
