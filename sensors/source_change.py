"""`source_change`: request the per-source pipeline for a source whose files changed.

A source's fingerprint is its file list with sizes and modification times (cheap to take every tick, unlike
hashing gigabytes). The first evaluation records a baseline and requests nothing; afterwards a new, removed,
grown or touched file requests a run of that source's partition, keyed by the fingerprint so the same change
is never requested twice.
"""

import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from amd_assets.registry import SourceFileError, SourceRegistry
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


def build_source_change_sensor(job_name: str, minimum_interval_seconds: int = 60):
    @sensor(
        name="source_change",
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.STOPPED,
        description="Runs the per-source pipeline for a source whose files were added, removed or modified.",
    )
    def source_change(context: SensorEvaluationContext, source_registry: SourceRegistryResource) -> SensorResult:
        registry = source_registry.load()
        previous: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        current = {source: fingerprint(registry, source) for source in registry.names}
        cursor = json.dumps(current, sort_keys=True)
        if not previous:
            return SensorResult(skip_reason=SkipReason("baseline recorded"), cursor=cursor)
        changed = [s for s, print_ in current.items() if print_ != previous.get(s) and print_ != MISSING]
        for source in (s for s, print_ in current.items() if print_ == MISSING):
            context.log.warning(f"source {source!r}: no file matches its path")
        requests = [
            RunRequest(
                run_key=f"{source}:{current[source]}", partition_key=source, tags={"amd/trigger": "source_change"}
            )
            for source in changed
        ]
        if not requests:
            return SensorResult(skip_reason=SkipReason("no source changed"), cursor=cursor)
        return SensorResult(run_requests=requests, cursor=cursor)

    return source_change
