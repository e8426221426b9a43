"""Shared fixtures: a lakehouse on a tmp dir, the repo's registry, and a Dagster runner for the sample sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from amd_assets.ingest import ingest_assets, ingest_checks
from amd_assets.registry import REPO_ROOT, SourceRegistry, load_registry
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from amd_assets.resources import build_resources
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB

Materialize = Callable[..., ExecuteInProcessResult]


@pytest.fixture
def lakehouse(tmp_path: Path) -> LakehouseResource:
    return LakehouseResource(root=str(tmp_path / "lakehouse"))


@pytest.fixture(scope="session")
def repo_registry() -> SourceRegistry:
    return load_registry(REPO_ROOT / "sources.yaml")


class Pipeline:
    """Runs the real assets and checks with resources pointed at a tmp lakehouse (and optionally another
    benchmark registry): prepare each source, dedup across all, curate each source — like `amd materialize`."""

    def __init__(self, lakehouse: LakehouseResource, benchmarks: Path | None = None):
        from amd_assets.definitions import ALL_ASSETS, ALL_CHECKS

        self.lakehouse = lakehouse
        self.instance = DagsterInstance.ephemeral()
        self.assets = [*ALL_ASSETS, *ALL_CHECKS]
        self.resources = {
            **build_resources(),
            "lakehouse": lakehouse,
            "duckdb": LakehouseDuckDB(lakehouse=lakehouse),
            "source_registry": SourceRegistryResource(path=str(REPO_ROOT / "sources.yaml")),
            "benchmark_registry": BenchmarkRegistryResource(path=str(benchmarks or REPO_ROOT / "benchmarks.yaml")),
        }

    def run(self, selection: list[str], partition: str | None = None) -> ExecuteInProcessResult:
        result = materialize(
            self.assets, selection=selection, partition_key=partition, instance=self.instance, resources=self.resources
        )
        assert result.success
        return result

    def prepare(self, source: str) -> ExecuteInProcessResult:
        return self.run(PREPARE, source)

    def dedup(self) -> ExecuteInProcessResult:
        return self.run(["dedup_decisions"])

    def curate(self, source: str) -> ExecuteInProcessResult:
        return self.run(["curated_problems"], source)

    def all(self, sources: list[str]) -> None:
        for source in sources:
            self.prepare(source)
        self.dedup()
        for source in sources:
            self.curate(source)


PREPARE = ["raw_problems", "normalized_problems", "filtered_problems", "decontaminated_problems", "problem_signatures"]


@pytest.fixture
def materialize_source(lakehouse: LakehouseResource) -> Materialize:
    """Materialize the ingest assets (with their blocking checks) for one sample source on the tmp lakehouse."""
    instance = DagsterInstance.ephemeral()

    def run(source: str, raise_on_error: bool = True) -> ExecuteInProcessResult:
        return materialize(
            [*ingest_assets, *ingest_checks],
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
