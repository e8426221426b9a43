"""The partition sets of the platform, both dynamic: they change at run time without a code reload.

- `sources`: one partition per entry of `sources.yaml`. The `source_change` sensor and `amd materialize` keep it
  in step with the registry, so a new source appears in the UI without reloading the code location.
- `release_versions`: one partition of `release_rows` per release version; the `release` run adds its version.
"""

from dagster import DagsterInstance, DynamicPartitionsDefinition

SOURCES = "sources"
RELEASE_VERSIONS = "release_versions"

source_partitions = DynamicPartitionsDefinition(name=SOURCES)
release_versions = DynamicPartitionsDefinition(name=RELEASE_VERSIONS)


def add_sources(instance: DagsterInstance, names: list[str]) -> list[str]:
    """Register the sources missing from the instance's `sources` partitions; returns the ones added."""
    known = set(instance.get_dynamic_partitions(SOURCES))
    missing = [name for name in names if name not in known]
    if missing:
        instance.add_dynamic_partitions(SOURCES, missing)
    return missing
