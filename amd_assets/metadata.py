"""Materialization metadata shared by the stages: counts, a markdown preview, the Delta version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
from dagster import MetadataValue, TableColumn, TableColumnConstraints, TableSchema

from amd_assets.contracts.tables import TableContract
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


def stage_metadata(
    lakehouse: LakehouseResource,
    contract: TableContract,
    source: str,
    rows: int,
    version: int,
    quarantined: Mapping[str, int],
    preview_columns: list[str],
    quarantine_preview: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "dagster/row_count": rows,
        "quarantined": sum(quarantined.values()),
        "quarantined_by_error": MetadataValue.json(dict(sorted(quarantined.items()))),
        "delta_version": version,
        "dagster/uri": MetadataValue.path(lakehouse.table_uri(contract.name)),
        "preview": MetadataValue.md(partition_preview(lakehouse, contract, source, preview_columns)),
        "quarantine_preview": MetadataValue.md(quarantine_preview),
        **(extra or {}),
    }
