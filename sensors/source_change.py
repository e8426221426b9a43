"""`source_change`: keep the `sources` partitions in step with `sources.yaml`, and run the per-source pipeline
for a source that is new or whose files changed.

Every tick reads the registry: a source added to it becomes a partition (no code-location reload) and gets a
`prepare_sources` run; a source removed from it loses its partition, while its rows stay in the tables until
`amd sources prune` deletes them. A source's fingerprint is its file list with sizes and modification times
(cheap to take every tick, unlike hashing gigabytes); a new, removed, grown or touched file requests a run of
that source, keyed by the fingerprint so the same change is never requested twice. The first tick registers
the sources and records a baseline without requesting runs. An unreadable registry skips the tick with its
error and changes nothing.
"""

import hashlib
import json

from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from amd_assets.partitions import SOURCES, source_partitions
from amd_assets.registry import RegistryError, SourceFileError, SourceRegistry
from amd_assets.registry.resource import SourceRegistryResource

MISSING = "missing"


def fingerprint(registry: SourceRegistry, source: str) -> str:
    try:
        files = registry.files(source)
    except SourceFileError:
        return MISSING
    digest = hashlib.sha256()
    for file in files:
        stat = file.stat()
        digest.update(f"{registry.display_path(file)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def partition_requests(
    registered: set[str], names: list[str]
) -> list[AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest]:
    """Add the registry's new sources, delete the partitions of sources no longer in it."""
    added = [name for name in names if name not in registered]
    removed = sorted(registered - set(names))
    requests: list[AddDynamicPartitionsRequest | DeleteDynamicPartitionsRequest] = []
    if added:
        requests.append(source_partitions.build_add_request(added))
    if removed:
        requests.append(source_partitions.build_delete_request(removed))
    return requests


def build_source_change_sensor(job_name: str, minimum_interval_seconds: int = 30):
    @sensor(
        name="source_change",
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.RUNNING,
        description="Keeps the source partitions in step with sources.yaml; runs the per-source pipeline for a new "
        "source and for a source whose files were added, removed or modified.",
    )
    def source_change(context: SensorEvaluationContext, source_registry: SourceRegistryResource) -> SensorResult:
        try:
            registry = source_registry.load()
        except RegistryError as error:
            return SensorResult(skip_reason=SkipReason(f"source registry unreadable, nothing changed: {error}"))
        registered = set(context.instance.get_dynamic_partitions(SOURCES))
        partitions = partition_requests(registered, registry.names)
        previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current = {source: fingerprint(registry, source) for source in registry.names}
        cursor = json.dumps(current, sort_keys=True)
        for source in (s for s, print_ in current.items() if print_ == MISSING):
            context.log.warning(f"source {source!r}: no file matches its path")
        changed = [s for s, print_ in current.items() if print_ != previous.get(s) and print_ != MISSING]
        runs = [
            RunRequest(run_key=f"{s}:{current[s]}", partition_key=s, tags={"amd/trigger": "source_change"})
            for s in (changed if previous else [])
        ]
        if not runs and not partitions:
            reason = "baseline recorded" if not previous else "no source changed"
            return SensorResult(skip_reason=SkipReason(reason), cursor=cursor)
        return SensorResult(run_requests=runs, dynamic_partitions_requests=partitions, cursor=cursor)

    return source_change
