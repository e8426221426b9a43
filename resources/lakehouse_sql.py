"""DuckDB over the lakehouse: every Delta table appears as a view named after it.

Delta is read through pyarrow datasets registered in DuckDB, so filters and projections push down and no
DuckDB extension is ever downloaded.
"""

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
from dagster import ResourceDependency
from dagster_duckdb import DuckDBResource
from pydantic import Field

from resources.lakehouse import LakehouseResource

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
    lakehouse: LakehouseResource,
    tables: list[str] | None = None,
    versions: Mapping[str, int] | None = None,
    empty_when_missing: Mapping[str, pa.Schema] | None = None,
) -> list[str]:
    """Register each table (at its pinned version, if any) as a view; returns the names registered. A missing
    table named in `empty_when_missing` is registered as an empty table of that schema (a stage that has not run
    yet has rejected nothing), so queries over it need no special case."""
    names = tables if tables is not None else lakehouse.list_tables()
    registered = []
    for name in names:
        if not lakehouse.exists(name):
            if name in (empty_when_missing or {}):
                connection.register(name, empty_when_missing[name].empty_table())  # type: ignore[index]
                registered.append(name)
            continue
        version = (versions or {}).get(name)
        connection.register(name, lakehouse.dataset(name, version))
        registered.append(name)
    return registered + register_sql_views(connection, registered)


class LakehouseDuckDB(DuckDBResource):
    """dagster-duckdb's resource with the lakehouse tables pre-registered on every connection."""

    lakehouse: ResourceDependency[LakehouseResource]
    database: str = Field(default=":memory:", description="DuckDB file for scratch tables; views are not stored.")
    tables: list[str] | None = Field(
        default=None, description="Tables to expose; None exposes every table under the lakehouse root."
    )

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with super().get_connection() as connection:
            register_lakehouse_views(connection, self.lakehouse, self.tables)
            yield connection
