"""The one factory of contract checks: a blocking asset check validating an asset's rows against its table
contract (and its side rows: quarantine or rejections), plus named invariants a stage adds. A failing contract
stops everything downstream of the partition.

Also `accounts_for_every_row_check`: nothing vanishes between two stages.
"""

import warnings
from collections.abc import Callable, Sequence
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
from amd_assets.contracts.validate import Flatten, ValidationReport, validate_rows
from amd_assets.partitions import source_partitions
from resources.lakehouse import LakehouseResource

# Partitioned asset checks are a Dagster preview feature; we rely on them knowingly (per-source contracts).
warnings.filterwarnings("ignore", category=PreviewWarning, message=".*partitions_def on an AssetCheckSpec.*")

# Which rows a check covers: the partition's (the default), the whole table's, or what the function says.
Scope = Callable[[AssetCheckExecutionContext], ds.Expression | None]
# A named invariant beyond the contract: the number of rows violating it in the scope (0 when it holds).
Invariant = Callable[[LakehouseResource, ds.Expression | None], dict[str, int]]


def source_partition(context: AssetCheckExecutionContext) -> ds.Expression:
    return ds.field("source") == context.partition_key


def whole_table(context: AssetCheckExecutionContext) -> None:
    return None


@dataclass(frozen=True)
class SideRows:
    """The side-table rows a stage writes next to its output (quarantine or rejections), checked with it."""

    table: TableContract
    stage: str


@dataclass(frozen=True)
class View:
    """Validate `contract` on `flatten(batch)` instead of the table's own columns."""

    contract: TableContract
    flatten: Flatten


def _result(reports: list[ValidationReport], require_rows: bool) -> AssetCheckResult:
    failures = sum(report.failures for report in reports)
    empty = require_rows and not reports[0].rows
    return AssetCheckResult(
        passed=failures == 0 and not empty,
        metadata={
            "rows_checked": {report.table: report.rows for report in reports},
            "failures": failures,
            "failures_by_check": MetadataValue.json({r.table: r.by_check for r in reports}),
            "failure_examples": MetadataValue.json([e for r in reports for e in r.examples]),
        },
    )


def record_invariants(
    report: ValidationReport, lakehouse: LakehouseResource, where: ds.Expression | None, invariants: Sequence[Invariant]
) -> None:
    for invariant in invariants:
        for name, count in invariant(lakehouse, where).items():
            if count:
                report.record(name, count, [{"table": report.table, "check": name}])


def describe(contract: TableContract, side: SideRows | None, unique: str | None, scope: Scope) -> str:
    rows = "partition" if scope is source_partition else "table" if scope is whole_table else "rows in scope"
    text = f"{contract.name} contract on the {rows}: column types, nullability and value rules"
    if contract.row_rules:
        text += f", row rules {', '.join(contract.row_rules)}"
    if side is not None:
        text += f"; and its {side.table.name} rows"
    return text + (f"; {unique} unique." if unique else ".")


def contract_check(
    asset: AssetsDefinition,
    contract: TableContract,
    side: SideRows | None = None,
    scope: Scope = source_partition,
    unique: str | None = "problem_id",
    invariants: Sequence[Invariant] = (),
    view: View | None = None,
    name: str = "contract",
    require_rows: bool = False,
) -> AssetChecksDefinition:
    """The blocking check of `asset`'s rows in `scope` against `contract` (through `view` when given)."""
    checked = view.contract if view else contract
    partitioned = scope is source_partition

    @asset_check(
        asset=asset,
        name=name,
        blocking=True,
        partitions_def=source_partitions if partitioned else None,
        description=describe(checked, side, unique, scope),
    )
    def _contract(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
        where = scope(context)
        flatten: Flatten | None = view.flatten if view else None
        reports = [validate_rows(lakehouse, contract.name, checked, where, unique=unique, view=flatten)]
        if side is not None:
            stage = ds.field("stage") == side.stage
            reports.append(
                validate_rows(lakehouse, side.table.name, side.table, stage if where is None else where & stage)
            )
        record_invariants(reports[0], lakehouse, where, invariants)
        return _result(reports, require_rows)

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
