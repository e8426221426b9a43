"""`amd materialize` / `amd demo`: run the pipeline's jobs in order on the Dagster instance.

Per-source preparation for each source, the global dedup, then per-source curation. With DAGSTER_HOME set
(the Makefile sets it) the runs land in the instance `make ui` shows, with their checks and metadata.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from dagster import AssetKey, DagsterInstance

from amd_assets.definitions import defs
from amd_assets.jobs import (
    AUDIT,
    CURATE_SOURCES,
    DEDUPLICATE,
    GENERATE_RESPONSES,
    PREPARE_SOURCES,
    RELEASE,
    VERIFY_RESPONSES,
)
from amd_assets.partitions import source_partitions

# The run's full event log stays in the instance (and the UI); the terminal gets warnings and errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class JobRun:
    job: str
    partition: str | None
    success: bool
    seconds: float
    failed_steps: list[str]


def instance() -> DagsterInstance:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return DagsterInstance.ephemeral()
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        # No telemetry: this platform never sends traffic anywhere it was not told to.
        with open(config, "w") as handle:
            handle.write("telemetry:\n  enabled: false\n")
    return DagsterInstance.get()


def _run(dagster_instance: DagsterInstance, job_name: str, partition: str | None) -> JobRun:
    started = time.monotonic()
    result = defs.resolve_job_def(job_name).execute_in_process(
        partition_key=partition, instance=dagster_instance, raise_on_error=False, run_config=QUIET
    )
    failed = [event.step_key or "" for event in result.all_events if event.is_step_failure]
    run = JobRun(job_name, partition, result.success, time.monotonic() - started, failed)
    status = "ok" if run.success else f"FAILED ({', '.join(failed) or 'see the run in the UI'})"
    print(f"  {job_name:<20} {partition or '(all sources)':<16} {status}  {run.seconds:.1f}s", flush=True)
    return run


def materialize_sources(sources: list[str] | None = None) -> list[JobRun]:
    """Prepare the sources, dedup across all of them, curate, generate and verify each source, then release;
    stops at a failed phase."""
    known = source_partitions.get_partition_keys()
    unknown = sorted(set(sources or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown source(s) {unknown}; sources.yaml has {known}")
    chosen = sources or known
    runs: list[JobRun] = []
    with instance() as dagster_instance:
        runs += [_run(dagster_instance, PREPARE_SOURCES, source) for source in chosen]
        if not all(run.success for run in runs):
            return runs
        runs.append(_run(dagster_instance, DEDUPLICATE, None))
        if not runs[-1].success:
            return runs
        # Dedup may change which problems of any source survive, so every source is curated again.
        for job in (CURATE_SOURCES, GENERATE_RESPONSES, VERIFY_RESPONSES):
            phase = [_run(dagster_instance, job, source) for source in known]
            runs += phase
            if not all(run.success for run in phase):
                return runs
        # The release is global: one run over every source's distilled samples, gated by its checks.
        runs.append(_run(dagster_instance, RELEASE, None))
        if runs[-1].success:
            # dbt audits over everything written, the release gate among their tests (asset checks).
            runs.append(_run(dagster_instance, AUDIT, None))
    return runs


def latest_release() -> str | None:
    """The folder of the newest `release` materialization in the instance `amd materialize` uses."""
    event = instance().get_latest_materialization_event(AssetKey("release"))
    materialization = event.asset_materialization if event else None
    path = materialization.metadata.get("path") if materialization else None
    return str(path.value) if path is not None else None
