"""The source registry as a Dagster resource, so runs and the UI show which registry file was used."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from amd_assets.registry.benchmarks import BenchmarkRegistry, default_benchmarks_path, load_benchmarks
from amd_assets.registry.load import SourceRegistry, default_registry_path, load_registry


class SourceRegistryResource(ConfigurableResource):
    path: str = Field(default_factory=lambda: str(default_registry_path()), description="The sources.yaml file.")

    def load(self) -> SourceRegistry:
        return load_registry(self.path)


class BenchmarkRegistryResource(ConfigurableResource):
    path: str = Field(default_factory=lambda: str(default_benchmarks_path()), description="The benchmarks.yaml file.")

    def load(self) -> BenchmarkRegistry:
        return load_benchmarks(self.path)
