"""Resource instances for the deployed definitions, configured from the environment."""

from __future__ import annotations

import os

from dagster import EnvVar

from amd_assets.registry.resource import SourceRegistryResource
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB


def _env(name: str, default: str) -> str:
    """EnvVar when set (the UI shows where the value came from), the default otherwise."""
    return EnvVar(name) if os.environ.get(name) else default  # type: ignore[return-value]


def build_resources() -> dict[str, object]:
    lakehouse = LakehouseResource(root=_env("AMD_LAKEHOUSE", "lakehouse"))
    return {
        "lakehouse": lakehouse,
        "duckdb": LakehouseDuckDB(lakehouse=lakehouse),
        "source_registry": SourceRegistryResource(path=_env("AMD_SOURCES", "sources.yaml")),
    }
