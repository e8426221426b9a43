"""Row counts per source and stage, read through DuckDB: what `make demo` prints at the end."""

from __future__ import annotations

import duckdb

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, QUARANTINE, RAW_PROBLEMS
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import register_lakehouse_views

STAGE_TABLES = [RAW_PROBLEMS.name, NORMALIZED_PROBLEMS.name]


def stage_counts(lakehouse: LakehouseResource) -> str | None:
    """A table of rows per source: one column per stage table, then the quarantined rows per stage."""
    connection = duckdb.connect(":memory:")
    present = register_lakehouse_views(connection, lakehouse, [*STAGE_TABLES, QUARANTINE.name])
    stages = [name for name in STAGE_TABLES if name in present]
    if not stages:
        return None
    counts = " UNION ALL ".join(
        f"SELECT source, '{name}' AS stage, count(*) AS n FROM {name} GROUP BY 1" for name in stages
    )
    if QUARANTINE.name in present:
        counts += f" UNION ALL SELECT source, 'quarantine:' || stage, count(*) FROM {QUARANTINE.name} GROUP BY 1, 2"
    columns = [*stages, "quarantine:raw", "quarantine:normalize"]
    pivot = ", ".join(f"coalesce(sum(n) FILTER (WHERE stage = '{c}'), 0)::BIGINT AS \"{c}\"" for c in columns)
    return str(connection.sql(f"SELECT source, {pivot} FROM ({counts}) GROUP BY source ORDER BY source"))
