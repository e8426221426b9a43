"""DuckDB over the lakehouse: every Delta table appears as a view named after it, without Dagster.

Delta is read through pyarrow datasets registered in DuckDB, so filters and projections push down and no
DuckDB extension is ever downloaded. dbt's audit database can be attached read-only beside them, so one SQL
prompt sees the lakehouse and the audit models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa

from resources.delta_tables import DeltaTables

AUDITS = "audits"

# Views over the tables, each a `CREATE ... VIEW` in a .sql file kept next to the code owning its tables; a
# `-- needs: a, b` header lists the tables it reads, and it is created only when they are all registered.
SQL_VIEWS = [Path(__file__).resolve().parents[1] / "amd_assets" / "release" / "release_lineage.sql"]


def register_sql_views(connection: duckdb.DuckDBPyConnection, registered: list[str]) -> list[str]:
    created = []
    for path in SQL_VIEWS:
        text = path.read_text()
        needs = re.search(r"^-- needs:(.*?)^CREATE", text, re.S | re.M)
        tables = re.findall(r"[a-z_]+", needs.group(1)) if needs else []
        if set(tables) <= set(registered):
            connection.execute(text)
            created.append(path.stem)
    return created


def register_lakehouse_views(
    connection: duckdb.DuckDBPyConnection,
    lakehouse: DeltaTables,
    tables: list[str] | None = None,
    versions: Mapping[str, int] | None = None,
    empty_when_missing: Mapping[str, pa.Schema] | None = None,
) -> list[str]:
    """Register each table (at its pinned version, if any) as a view; returns the names registered. A missing
    table named in `empty_when_missing` is registered as an empty table of that schema (a stage that has not run
    yet has rejected nothing), so queries over it need no special case."""
    names = tables if tables is not None else lakehouse.list_tables()
    empty = empty_when_missing or {}
    registered = []
    for name in names:
        if not lakehouse.exists(name):
            if name in empty:
                connection.register(name, empty[name].empty_table())
                registered.append(name)
            continue
        version = (versions or {}).get(name)
        connection.register(name, lakehouse.dataset(name, version))
        registered.append(name)
    return registered + register_sql_views(connection, registered)


def attach_audit_database(connection: duckdb.DuckDBPyConnection, path: Path, taken: list[str]) -> list[str]:
    """Attach dbt's audit database read-only as `audits`, with a view per audit table whose name no lakehouse
    table has; returns those names. Nothing when the file does not exist; raises duckdb.Error when it cannot be
    opened (e.g. dbt is writing it right now)."""
    if not path.exists():
        return []
    connection.execute(f"ATTACH '{path.as_posix()}' AS {AUDITS} (READ_ONLY)")
    names = [
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? ORDER BY 1", [AUDITS]
        ).fetchall()
    ]
    shown = [name for name in names if name not in taken]
    for name in shown:
        connection.execute(f'CREATE VIEW "{name}" AS SELECT * FROM {AUDITS}.main."{name}"')
    return shown
