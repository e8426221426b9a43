"""Dagster resources: the Delta lakehouse, DuckDB over it, and the code sandbox."""

from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB
from resources.sandbox import SandboxResource

__all__ = ["LakehouseDuckDB", "LakehouseResource", "SandboxResource"]
