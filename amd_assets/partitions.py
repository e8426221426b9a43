"""One static partition per registered source, read from `sources.yaml` when the definitions load."""

from __future__ import annotations

from dagster import StaticPartitionsDefinition

from amd_assets.registry import load_registry

source_partitions = StaticPartitionsDefinition(load_registry().names)
