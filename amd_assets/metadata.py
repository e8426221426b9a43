"""Materialization metadata shared by the stages: counts, a markdown preview, the Delta version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.dataset as ds
from dagster import MaterializeResult, MetadataValue, TableColumn, TableColumnConstraints, TableSchema

from amd_assets.contracts.tables import TableContract
from amd_assets.sinks import PartitionSink
from resources.lakehouse import LakehouseResource

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 80


def column_schema(contract: TableContract) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(
                name=field.name,
                type=str(field.type),
                constraints=TableColumnConstraints(nullable=field.nullable),
            )
            for field in contract.schema
        ]
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "…"


def markdown_preview(table: pa.Table) -> str:
    if table.num_rows == 0:
        return "_no rows_"
    header = "| " + " | ".join(table.column_names) + " |"
    rule = "|" + "---|" * table.num_columns
    rows = ["| " + " | ".join(_cell(v) for v in row.values()) + " |" for row in table.to_pylist()]
    return "\n".join([header, rule, *rows])


def partition_preview(lakehouse: LakehouseResource, contract: TableContract, source: str, columns: list[str]) -> str:
    batches = lakehouse.scan(
        contract.name, columns=columns, filter=ds.field("source") == source, batch_size=PREVIEW_ROWS
    )
    first = next(batches, None)
    table = pa.Table.from_batches([first]) if first is not None else pa.table({c: [] for c in columns})
    return markdown_preview(table.slice(0, PREVIEW_ROWS))


def row_counts(
    lakehouse: LakehouseResource, table: str, source: str, partition_rows: int | None = None
) -> dict[str, int]:
    """The partition's rows (what the UI charts per partition) and the whole table's, each labelled."""
    if partition_rows is None:
        partition_rows = lakehouse.count(table, ds.field("source") == source)
    return {
        "dagster/row_count": partition_rows,
        "rows_in_partition": partition_rows,
        "rows_in_table": lakehouse.count(table),
    }


def stage_metadata(
    lakehouse: LakehouseResource,
    contract: TableContract,
    source: str,
    rows: int,
    version: int,
    side: PartitionSink,
    preview_columns: list[str],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Rows out, rows set aside (quarantined or rejected) in total and per reason, previews of both."""
    verb = "quarantined" if side.contract.name == "quarantine" else "rejected"
    return {
        **row_counts(lakehouse, contract.name, source, rows),
        verb: side.total,
        f"{verb}_by_reason": MetadataValue.json(dict(sorted(side.counts.items()))),
        "delta_version": version,
        "dagster/uri": MetadataValue.path(lakehouse.table_uri(contract.name)),
        "preview": MetadataValue.md(partition_preview(lakehouse, contract, source, preview_columns)),
        f"{verb}_preview": MetadataValue.md(side.markdown()),
        **(extra or {}),
    }


class CountedStage(Protocol):
    rows_in: int
    rows_out: int


def stage_result(
    lakehouse: LakehouseResource,
    contract: TableContract,
    stage: CountedStage,
    version: int,
    side: PartitionSink,
    preview_columns: list[str],
    figures: Mapping[str, Any],
) -> MaterializeResult:
    """A per-source stage's materialization: `stage_metadata` of the partition it wrote, the rows it read and its
    own `figures`."""
    extra = {"rows_in": stage.rows_in, **figures}
    metadata = stage_metadata(lakehouse, contract, side.source, stage.rows_out, version, side, preview_columns, extra)
    return MaterializeResult(metadata=metadata)
