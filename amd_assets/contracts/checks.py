"""Blocking asset checks: a failing contract stops everything downstream of the partition."""

import warnings
from dataclasses import dataclass

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

from amd_assets.contracts.tables import TableContract
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


@dataclass(frozen=True)
class SideRows:
    """The side-table rows a stage writes next to its output (quarantine or rejections), checked with it."""

    table: TableContract
    model: str  # a pandera model reference, see `validate.pandera_model`
    stage: str


def contract_check(
    asset: AssetsDefinition,
    contract: TableContract,
    model: str,
    side: SideRows | None = None,
    partitioned: bool = True,
    unique: str | None = "problem_id",
) -> AssetChecksDefinition:
    """pandera `model` over the asset's partition (or whole table), `problem_id` unique, and its side rows."""
    checked = f" and its {side.table.name} rows" if side else ""

    @asset_check(
        asset=asset,
        name="contract",
        blocking=True,
        partitions_def=source_partitions if partitioned else None,
        description=f"pandera {model.rpartition('.')[2]} on the {'partition' if partitioned else 'table'}{checked}"
        + (f"; {unique} unique." if unique else "."),
    )
    def _contract(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
        where = ds.field("source") == context.partition_key if partitioned else None
        reports = [validate_partition(lakehouse, contract.name, model, where, unique=unique)]
        if side is not None:
            stage = ds.field("stage") == side.stage
            reports.append(
                validate_partition(lakehouse, side.table.name, side.model, stage if where is None else where & stage)
            )
        return _result(reports)

    return _contract


def accounts_for_every_row_check(
    asset: AssetsDefinition,
    contract: TableContract,
    upstream: TableContract,
    side_table: TableContract,
    stages: list[str],
) -> AssetChecksDefinition:
    """Every upstream row of the partition ends in `contract`'s table or in `side_table` under one of
    `stages`: nothing vanishes between two stages."""

    @asset_check(
        asset=asset,
        name="accounts_for_every_row",
        blocking=True,
        partitions_def=source_partitions,
        description=f"{upstream.name} rows = {contract.name} rows + {side_table.name} rows of stage {stages}.",
    )
    def _accounts(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
        in_source = ds.field("source") == context.partition_key
        before = lakehouse.count(upstream.name, in_source)
        kept = lakehouse.count(contract.name, in_source)
        dropped = lakehouse.count(side_table.name, in_source & ds.field("stage").isin(stages))
        return AssetCheckResult(
            passed=before == kept + dropped,
            metadata={
                "rows_before": before,
                "kept": kept,
                f"in_{side_table.name}": dropped,
                "unaccounted": before - kept - dropped,
            },
        )

    return _accounts
