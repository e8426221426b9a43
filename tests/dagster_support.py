"""Dagster instances for tests: sources are dynamic partitions, so a run of a source needs it registered."""

from __future__ import annotations

from dagster import DagsterInstance

from amd_assets.partitions import add_sources
from amd_assets.registry import REPO_ROOT, load_registry


def source_instance(*names: str, instance: DagsterInstance | None = None) -> DagsterInstance:
    """An ephemeral instance (or `instance`) with `names` registered as source partitions (default: every
    source of the repo's sources.yaml)."""
    instance = instance or DagsterInstance.ephemeral()
    add_sources(instance, list(names) or load_registry(REPO_ROOT / "sources.yaml").names)
    return instance
