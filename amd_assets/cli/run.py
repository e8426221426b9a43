"""`amd materialize` / `amd demo`: run the pipeline's jobs in order on the shared Dagster instance.

Per-source preparation for the chosen sources, the global dedup, then curation, generation and verification of
every source (dedup may change any source's survivors), the release and the audits. The runs land in the
instance `make ui` shows, with their checks and metadata. `jobs` restricts the run to some of these jobs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amd_assets.jobs import (
    AUDIT,
    CURATE_SOURCES,
    DEDUPLICATE,
    GENERATE_RESPONSES,
    PREPARE_SOURCES,
    RELEASE,
    VERIFY_RESPONSES,
)

if TYPE_CHECKING:
    from dagster import DagsterInstance, Definitions

# The run's full event log stays in the instance (and the UI); the terminal gets warnings and errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# (job, which sources): "chosen" = the sources asked for, "all" = every registered source, None = global.
PHASES: list[tuple[str, str | None]] = [
    (PREPARE_SOURCES, "chosen"),
    (DEDUPLICATE, None),
    (CURATE_SOURCES, "all"),
    (GENERATE_RESPONSES, "all"),
    (VERIFY_RESPONSES, "all"),
    (RELEASE, None),
    (AUDIT, None),
]
JOB_NAMES = [job for job, _ in PHASES]


@dataclass
class JobRun:
    job: str
    partition: str | None
    success: bool
    seconds: float
    failed_steps: list[str]


def run_job(defs: Definitions, instance: DagsterInstance, job_name: str, partition: str | None) -> JobRun:
    started = time.monotonic()
    result = defs.resolve_job_def(job_name).execute_in_process(
        partition_key=partition, instance=instance, raise_on_error=False, run_config=QUIET
    )
    failed = [event.step_key or "" for event in result.all_events if event.is_step_failure]
    run = JobRun(job_name, partition, result.success, time.monotonic() - started, failed)
    status = "ok" if run.success else f"FAILED ({', '.join(failed) or 'see the run in the UI'})"
    print(f"  {job_name:<20} {partition or '(all sources)':<16} {status}  {run.seconds:.1f}s", flush=True)
    return run


def materialize_sources(
    defs: Definitions,
    instance: DagsterInstance,
    registered: Sequence[str],
    sources: Sequence[str] | None = None,
    jobs: Sequence[str] | None = None,
) -> list[JobRun]:
    """Run the phases (or only `jobs`) for `sources` (default: every registered source); stops at a failed
    phase. Every source must be a registered partition of `instance`."""
    chosen = list(sources or registered)
    runs: list[JobRun] = []
    for job, scope in PHASES:
        if jobs and job not in jobs:
            continue
        partitions: list[Any] = [None] if scope is None else chosen if scope == "chosen" or jobs else list(registered)
        phase = [run_job(defs, instance, job, partition) for partition in partitions]
        runs += phase
        if not all(run.success for run in phase):
            break
    return runs


def latest_release(instance: DagsterInstance, releases_root: str) -> str | None:
    """The folder of the version the newest release run wrote (its `release_rows` partition)."""
    from pathlib import Path

    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey("release_rows"))
    partition = event.dagster_event.partition if event and event.dagster_event else None
    return str(Path(releases_root).expanduser().resolve() / partition) if partition else None
