"""`amd materialize` / `amd demo`: run the pipeline's jobs in order on the shared Dagster instance.

Per-source preparation for the chosen sources, the global dedup, then curation, generation and verification of
every source (dedup may change any source's survivors), the release and the audits. The runs land in the
instance `make ui` shows, with their checks and metadata. `jobs` restricts the run to some of these jobs.

One source's failure does not stop the others: a source whose run fails is left out of the later per-source
phases (its chain is broken) and the remaining sources carry on. The global jobs then decide:
- a failed global job (dedup, release) stops the pipeline: everything after it would read its broken output;
- with failed sources there is no release unless `release_partial`: then the release leaves the failed sources
  out entirely — also their rows from earlier runs still in the tables, which belong to an older state of the
  source than the rest of the release — and its manifest lists them with the failing step and error
  (`ReleaseConfig.missing_sources`);
- the audit follows the release: skipped when the release was.
`report` says which sources failed, at which job and step, with the error, and what was released.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

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
# A step's error in the report: its first lines are the exception and its message.
ERROR_LINES = 6


@dataclass
class JobRun:
    job: str
    partition: str | None
    success: bool
    seconds: float
    failed_steps: list[str]
    errors: list[str] = field(default_factory=list)  # "step: error" per failed step

    @property
    def what_failed(self) -> str:
        """The failing step(s) and their errors, for the report."""
        return "; ".join(self.errors) or ", ".join(self.failed_steps) or "the run failed (see it in the UI)"


@dataclass
class PipelineOutcome:
    """What `materialize_sources` ran, which sources failed (their first failed run), and the release's fate."""

    runs: list[JobRun] = field(default_factory=list)
    failed_sources: dict[str, JobRun] = field(default_factory=dict)
    stopped_at: JobRun | None = None  # a failed global job
    release: str = "not asked"  # "released", "released without failed sources", "failed", "skipped: ..."

    @property
    def success(self) -> bool:
        return bool(self.runs) and all(run.success for run in self.runs) and not self.release.startswith("skipped")


def error_text(error: Any) -> str:
    """The user's exception of a step's SerializableErrorInfo: the first error in the cause chain that is not
    Dagster's own wrapper ("Error occurred while executing op ..."), first lines only."""
    chain = []
    while error is not None:
        chain.append(error)
        error = getattr(error, "cause", None)
    wrapper = ("DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError")
    chosen = next((e for e in chain if getattr(e, "cls_name", None) not in wrapper), chain[0] if chain else "")
    lines = [line for line in str(getattr(chosen, "message", chosen)).strip().splitlines() if line.strip()]
    return " | ".join(lines[:ERROR_LINES])


def step_errors(result: ExecuteInProcessResult) -> tuple[list[str], list[str]]:
    """(failed step keys, "step: error" lines) of a finished run."""
    steps, errors = [], []
    for event in result.all_events:
        if event.is_step_failure:
            step = event.step_key or ""
            steps.append(step)
            errors.append(f"{step}: {error_text(event.step_failure_data.error)}")
    return steps, errors


def run_job(
    defs: Definitions,
    instance: DagsterInstance,
    job_name: str,
    partition: str | None,
    config: dict[str, Any] | None = None,
) -> JobRun:
    """One run of `job_name` (one partition); a run that cannot even start counts as failed with its error."""
    started = time.monotonic()
    try:
        result = defs.resolve_job_def(job_name).execute_in_process(
            partition_key=partition, instance=instance, raise_on_error=False, run_config={**QUIET, **(config or {})}
        )
        steps, errors = step_errors(result)
        run = JobRun(job_name, partition, result.success, time.monotonic() - started, steps, errors)
    except Exception as error:  # the report names it; the other sources carry on
        run = JobRun(job_name, partition, False, time.monotonic() - started, [], [f"{type(error).__name__}: {error}"])
    status = "ok" if run.success else f"FAILED ({', '.join(run.failed_steps) or 'see the report below'})"
    print(f"  {job_name:<20} {partition or '(all sources)':<16} {status}  {run.seconds:.1f}s", flush=True)
    return run


def release_config(failed: dict[str, JobRun]) -> dict[str, Any]:
    """The release run's config leaving the failed sources out, each with why."""
    missing = {source: f"{run.job} failed: {run.what_failed}" for source, run in sorted(failed.items())}
    return {"ops": {"release": {"config": {"missing_sources": missing}}}}


def _partitions(scope: str | None, chosen: list[str], registered: Sequence[str], jobs: Sequence[str] | None) -> list:
    if scope is None:
        return [None]
    return chosen if scope == "chosen" or jobs else list(registered)


def _global_run(
    defs: Definitions, instance: DagsterInstance, job: str, outcome: PipelineOutcome, release_partial: bool
) -> JobRun | None:
    """Run a global job, or None when the failed sources (or a skipped release) rule it out."""
    if job == RELEASE:
        if outcome.failed_sources and not release_partial:
            outcome.release = "skipped: sources failed"
            return None
        run = run_job(defs, instance, job, None, release_config(outcome.failed_sources))
        partial = " without the failed sources" if outcome.failed_sources else ""
        outcome.release = f"released{partial}" if run.success else "failed"
        return run
    if job == AUDIT and outcome.release.startswith("skipped"):
        return None
    return run_job(defs, instance, job, None)


def materialize_sources(
    defs: Definitions,
    instance: DagsterInstance,
    registered: Sequence[str],
    sources: Sequence[str] | None = None,
    jobs: Sequence[str] | None = None,
    release_partial: bool = False,
) -> PipelineOutcome:
    """Run the phases (or only `jobs`) for `sources` (default: every registered source). A failed source skips
    its later per-source phases while the others carry on; a failed global job stops the pipeline; the release
    runs with failed sources only when `release_partial` (and leaves them out). Every source must be a registered
    partition of `instance`."""
    chosen = list(sources or registered)
    outcome = PipelineOutcome()
    for job, scope in PHASES:
        if jobs and job not in jobs:
            continue
        if scope is None:
            run = _global_run(defs, instance, job, outcome, release_partial)
            if run is not None:
                outcome.runs.append(run)
                if not run.success:
                    outcome.stopped_at = run
                    break
            continue
        for partition in _partitions(scope, chosen, registered, jobs):
            if partition in outcome.failed_sources:
                continue
            run = run_job(defs, instance, job, partition)
            outcome.runs.append(run)
            if not run.success:
                outcome.failed_sources[partition] = run
    return outcome


def report(outcome: PipelineOutcome, release_path: str | None) -> str:
    """The end of `amd materialize`: failed sources with their step and error, and what happened to the release."""
    lines = []
    if outcome.failed_sources:
        lines.append(f"FAILED sources ({len(outcome.failed_sources)}): their later phases were skipped")
        for source, run in sorted(outcome.failed_sources.items()):
            lines.append(f"  {source}: {run.job} failed at {run.what_failed}")
    if outcome.stopped_at is not None:
        stopped = outcome.stopped_at
        lines.append(f"FAILED {stopped.job} (all sources): {stopped.what_failed}; the jobs after it did not run")
    missing = ", ".join(sorted(outcome.failed_sources))
    if outcome.release == "skipped: sources failed":
        lines.append(
            f"No release: {missing} failed. Fix the failed sources and run again, or release the ones that "
            "succeeded with `amd materialize --release-partial` (it leaves out the failed sources, including their "
            "rows from earlier runs); the audit was skipped with the release."
        )
    elif outcome.release.startswith("released"):
        without = f" without {missing} (--release-partial; see missing_sources in its manifest)" if missing else ""
        lines.append(f"Released{without}: {release_path or '(path unknown)'}")
    return "\n".join(lines)


def latest_release(instance: DagsterInstance, releases_root: str) -> str | None:
    """The folder of the version the newest release run wrote (its `release_rows` partition)."""
    from pathlib import Path

    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey("release_rows"))
    partition = event.dagster_event.partition if event and event.dagster_event else None
    return str(Path(releases_root).expanduser().resolve() / partition) if partition else None
