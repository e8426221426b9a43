"""Blocking asset checks: a failing contract stops everything downstream of the partition."""

import warnings

import pandera.polars as pa
import pyarrow.dataset as ds
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetsDefinition,
    MetadataValue,
    PreviewWarning,
    asset_check,
)

from amd_assets.contracts.schemas import QuarantineRows
from amd_assets.contracts.tables import QUARANTINE, RAW_PROBLEMS, TableContract
from amd_assets.contracts.validate import ValidationReport, validate_partition
from amd_assets.partitions import source_partitions
from resources.lakehouse import LakehouseResource

# Partitioned asset checks are a Dagster preview feature; we rely on them knowingly (per-source contracts).
warnings.filterwarnings("ignore", category=PreviewWarning, message=".*partitions_def on an AssetCheckSpec.*")


def _result(reports: list[ValidationReport]) -> AssetCheckResult:
    failures = sum(report.failures for report in reports)
    return AssetCheckResult(
        passed=failures == 0,
        metadata={
            "rows_checked": {report.table: report.rows for report in reports},
            "failures": failures,
            "failures_by_check": MetadataValue.json({r.table: r.by_check for r in reports}),
            "failure_examples": MetadataValue.json([e for r in reports for e in r.examples]),
        },
    )


def contract_check(
    asset: AssetsDefinition, contract: TableContract, model: type[pa.DataFrameModel], stage: str
) -> AssetChecksDefinition:
    """pandera `model` over the asset's partition (with `problem_id` unique) and over its quarantine rows."""

    @asset_check(
        asset=asset,
        name="contract",
        blocking=True,
        partitions_def=source_partitions,
        description=f"pandera {model.__name__} on the partition, problem_id unique, quarantine rows well-formed.",
    )
    def _contract(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
        in_source = ds.field("source") == context.partition_key
        return _result(
            [
                validate_partition(lakehouse, contract.name, model, in_source, unique="problem_id"),
                validate_partition(
                    lakehouse, QUARANTINE.name, QuarantineRows, in_source & (ds.field("stage") == stage)
                ),
            ]
        )

    return _contract


def accounts_for_every_row_check(asset: AssetsDefinition, contract: TableContract, stage: str) -> AssetChecksDefinition:
    """Every raw row of the partition ends either in `contract`'s table or in the quarantine: nothing vanishes."""

    @asset_check(
        asset=asset,
        name="accounts_for_every_row",
        blocking=True,
        partitions_def=source_partitions,
        description="raw rows = rows kept + rows quarantined by this stage.",
    )
    def _accounts(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
        in_source = ds.field("source") == context.partition_key
        raw = lakehouse.count(RAW_PROBLEMS.name, in_source)
        kept = lakehouse.count(contract.name, in_source)
        quarantined = lakehouse.count(QUARANTINE.name, in_source & (ds.field("stage") == stage))
        return AssetCheckResult(
            passed=raw == kept + quarantined,
            metadata={"raw_rows": raw, "kept": kept, "quarantined": quarantined, "missing": raw - kept - quarantined},
        )

    return _accounts
