"""`LakehouseDuckDB`: dagster-duckdb's resource with the lakehouse tables registered on every connection."""

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster import ResourceDependency
from dagster_duckdb import DuckDBResource
from pydantic import Field

from resources.duckdb_views import register_lakehouse_views
from resources.lakehouse import LakehouseResource


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
