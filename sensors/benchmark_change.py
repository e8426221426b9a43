"""`benchmark_change`: when the benchmark registry or a benchmark file changes, re-decontaminate every source.

Decontamination is retroactive: a benchmark added after a source was curated must still remove that
source's overlapping rows, so each change requests a run of every source partition, keyed by the registry's
fingerprint so one change is requested once. Dedup and curation run after it (`amd materialize`, or the
`deduplicate` and `curate_sources` jobs).
"""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from amd_assets.partitions import SOURCES
from amd_assets.registry import SourceFileError
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource


def benchmarks_fingerprint(resource: BenchmarkRegistryResource) -> str:
    """The registry file's bytes and every enabled benchmark file's size and mtime (a disabled benchmark's files
    cannot change what decontamination removes; switching it on changes the registry file itself)."""
    registry = resource.load()
    digest = hashlib.sha256(registry.path.read_bytes())
    for name in sorted(registry.benchmarks):
        if not registry.benchmarks[name].enabled:
            continue
        try:
            files = registry.files(name)
        except SourceFileError:
            digest.update(f"{name}:missing".encode())
            continue
        for file in files:
            stat = file.stat()
            digest.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def build_benchmark_change_sensor(job_name: str, minimum_interval_seconds: int = 60):
    @sensor(
        name="benchmark_change",
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.STOPPED,
        description="Re-decontaminates every source when benchmarks.yaml or a benchmark file changes.",
    )
    def benchmark_change(
        context: SensorEvaluationContext,
        benchmark_registry: BenchmarkRegistryResource,
        source_registry: SourceRegistryResource,
    ) -> SensorResult:
        fingerprint = benchmarks_fingerprint(benchmark_registry)
        if context.cursor is None:
            return SensorResult(skip_reason=SkipReason("baseline recorded"), cursor=fingerprint)
        if context.cursor == fingerprint:
            return SensorResult(skip_reason=SkipReason("benchmarks unchanged"), cursor=fingerprint)
        registered = set(context.instance.get_dynamic_partitions(SOURCES))
        requests = [
            RunRequest(
                run_key=f"{source}:{fingerprint}", partition_key=source, tags={"amd/trigger": "benchmark_change"}
            )
            for source in source_registry.load().names
            if source in registered  # a source not registered yet gets its first run from `source_change`
        ]
        return SensorResult(run_requests=requests, cursor=fingerprint)

    return benchmark_change
