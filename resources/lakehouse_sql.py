"""DuckDB over the lakehouse: every Delta table appears as a view named after it.

Delta is read through pyarrow datasets registered in DuckDB, so filters and projections push down and no
DuckDB extension is ever downloaded.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import duckdb
from dagster import ResourceDependency
from dagster_duckdb import DuckDBResource
from pydantic import Field

from resources.lakehouse import LakehouseResource


def register_lakehouse_views(
    connection: duckdb.DuckDBPyConnection,
    lakehouse: LakehouseResource,
    tables: list[str] | None = None,
    versions: Mapping[str, int] | None = None,
) -> list[str]:
    """Register each table (at its pinned version, if any) as a view; returns the names registered."""
    names = tables if tables is not None else lakehouse.list_tables()
    registered = []
    for name in names:
        if not lakehouse.exists(name):
            continue
        version = (versions or {}).get(name)
        connection.register(name, lakehouse.dataset(name, version))
        registered.append(name)
    return registered


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
