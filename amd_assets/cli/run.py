"""`amd materialize` / `amd demo`: run the per-source job for each partition on the Dagster instance.

With DAGSTER_HOME set (the Makefile sets it) the runs land in the same instance `make ui` shows, so a demo's
materializations, checks and metadata are visible in the UI afterwards.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from dagster import DagsterInstance

from amd_assets.definitions import PER_SOURCE_JOB, defs
from amd_assets.partitions import source_partitions

# The run's full event log stays in the instance (and the UI); the terminal gets warnings and errors only.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class PartitionRun:
    source: str
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


def materialize_sources(sources: list[str] | None = None) -> list[PartitionRun]:
    known = source_partitions.get_partition_keys()
    unknown = sorted(set(sources or []) - set(known))
    if unknown:
        raise SystemExit(f"unknown source(s) {unknown}; sources.yaml has {known}")
    job = defs.resolve_job_def(PER_SOURCE_JOB)
    runs = []
    with instance() as dagster_instance:
        for source in sources or known:
            started = time.monotonic()
            result = job.execute_in_process(
                partition_key=source, instance=dagster_instance, raise_on_error=False, run_config=QUIET
            )
            failed = [event.step_key or "" for event in result.all_events if event.is_step_failure]
            runs.append(PartitionRun(source, result.success, time.monotonic() - started, failed))
            status = "ok" if result.success else f"FAILED ({', '.join(failed) or 'see the run in the UI'})"
            print(f"  {source:<24} {status}  {runs[-1].seconds:.1f}s", flush=True)
    return runs
