"""Blocking contract check on `teacher_responses`: a malformed partition never reaches verification."""

import warnings

import pyarrow.dataset as ds
from dagster import AssetCheckExecutionContext, AssetCheckResult, MetadataValue, PreviewWarning, asset_check

from amd_assets.contracts.validate import ValidationReport, validate_partition
from amd_assets.generation.assets import teacher_responses
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.partitions import source_partitions
from resources.lakehouse import LakehouseResource

warnings.filterwarnings("ignore", category=PreviewWarning, message=".*partitions_def on an AssetCheckSpec.*")


def duplicate_responses(lakehouse: LakehouseResource, source: str) -> dict[str, int]:
    """Append-only still means exactly-once: one generated row per response_id, one row per id and run."""
    import polars as pl

    batches = lakehouse.scan(
        TEACHER_RESPONSES.name, columns=["response_id", "status", "run_id"], filter=ds.field("source") == source
    )
    frames = [pl.from_arrow(batch) for batch in batches]
    if not frames:
        return {}
    frame = pl.concat(frames)  # type: ignore[arg-type]
    generated = frame.filter(pl.col("status") != "failed")
    return {
        "response_id generated twice": generated.height - generated["response_id"].n_unique(),
        "(response_id, run_id) twice": frame.height - frame.select(["response_id", "run_id"]).n_unique(),
    }


@asset_check(
    asset=teacher_responses,
    name="contract",
    blocking=True,
    partitions_def=source_partitions,
    description="pandera TeacherResponses on the partition; at most one generated row per response_id.",
)
def teacher_responses_contract(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
    source = context.partition_key
    report: ValidationReport = validate_partition(
        lakehouse,
        TEACHER_RESPONSES.name,
        "amd_assets.generation.schemas.TeacherResponses",
        ds.field("source") == source,
    )
    for check, count in duplicate_responses(lakehouse, source).items():
        if count:
            report.record(check, count, [{"table": TEACHER_RESPONSES.name, "check": check}])
    return AssetCheckResult(
        passed=report.passed,
        metadata={
            "rows_checked": report.rows,
            "failures": report.failures,
            "failures_by_check": MetadataValue.json(report.by_check),
            "failure_examples": MetadataValue.json(report.examples),
        },
    )


generation_checks = [teacher_responses_contract]
