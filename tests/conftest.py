"""Shared fixtures: a lakehouse on a tmp dir, the repo's registry, and a Dagster runner for the sample sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import ExecuteInProcessResult, materialize

from amd_assets.ingest.assets import normalized_problems, raw_problems
from amd_assets.ingest.checks import ingest_checks
from amd_assets.registry import REPO_ROOT, SourceRegistry, load_registry
from amd_assets.registry.resource import SourceRegistryResource
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB
from tests.dagster_support import source_instance

Materialize = Callable[..., ExecuteInProcessResult]


@pytest.fixture
def lakehouse(tmp_path: Path) -> LakehouseResource:
    return LakehouseResource(root=str(tmp_path / "lakehouse"))


@pytest.fixture(scope="session")
def repo_registry() -> SourceRegistry:
    return load_registry(REPO_ROOT / "sources.yaml")


@pytest.fixture
def materialize_source(lakehouse: LakehouseResource) -> Materialize:
    """Materialize the ingest assets (with their blocking checks) for one sample source on the tmp lakehouse."""
    instance = source_instance()

    def run(source: str, raise_on_error: bool = True) -> ExecuteInProcessResult:
        return materialize(
            [raw_problems, normalized_problems, *ingest_checks],
            partition_key=source,
            instance=instance,
            raise_on_error=raise_on_error,
            resources={
                "lakehouse": lakehouse,
                "duckdb": LakehouseDuckDB(lakehouse=lakehouse),
                "source_registry": SourceRegistryResource(path=str(REPO_ROOT / "sources.yaml")),
            },
        )

    return run
