"""`dbt build` of the selected audit models and tests, streamed into Dagster results as dbt reports them.

dbt runs through dagster-dbt's `DbtCliResource` (process handling, forwarding a run's termination to dbt),
imported here only, at run time. Its structured log events are mapped onto our specs by dbt's node id: a built
model becomes a `MaterializeResult` (with its row count), a test an `AssetCheckResult`. When dbt exits non-zero
(a failing test, a model error) the step fails after every result has been reported.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    DagsterLogManager,
    Failure,
    MaterializeResult,
)

from amd_assets.audits.project import DBT_PROJECT_DIR, dbt_executable
from amd_assets.audits.specs import AuditSpecs

MODEL_RESULT, TEST_RESULT = "LogModelResult", "LogTestResult"


class LogLines(io.TextIOBase):
    """A stdout that turns dagster-dbt's echo of dbt's log lines into run log events (the UI shows them; the
    terminal of `amd materialize` shows warnings only), instead of printing them to the terminal."""

    def __init__(self, log: DagsterLogManager) -> None:
        self.log = log

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.log.info(line)
        return len(text)


def selection_args(context: AssetExecutionContext, specs: AuditSpecs) -> list[str]:
    """Nothing when everything is selected; else exactly the selected models and tests (no indirect tests)."""
    models = [key for key in specs.model_keys.values() if key in context.selected_asset_keys]
    checks = [key for key in specs.check_keys.values() if key in context.selected_asset_check_keys]
    if len(models) == len(specs.model_keys) and len(checks) == len(specs.check_keys):
        return []
    names = [key.path[-1] for key in models] + [key.name for key in checks]
    return ["--select", " ".join(names), "--indirect-selection", "empty"]


def row_counts(audit_db: Path, models: list[str]) -> dict[str, int]:
    """Rows of the models built as tables (a view over a Delta source only resolves inside dbt's process)."""
    import duckdb

    if not models or not audit_db.exists():
        return {}
    with duckdb.connect(str(audit_db), read_only=True) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            ).fetchall()
        }
        counts = {}
        for model in (name for name in models if name in tables):
            counts[model] = int(connection.execute(f'SELECT count(*) FROM "{model}"').fetchall()[0][0])
        return counts


def check_result(specs: AuditSpecs, unique_id: str, data: Mapping[str, Any]) -> AssetCheckResult:
    key = specs.check_keys[unique_id]
    status = str(data.get("status", "")).lower()
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=status == "pass",
        severity=AssetCheckSeverity.WARN if status == "warn" else AssetCheckSeverity.ERROR,
        metadata={"dbt_status": status, "failures": int(data.get("num_failures") or 0), "dbt/unique_id": unique_id},
    )


def read_event(
    raw_event: Mapping[str, Any],
    specs: AuditSpecs,
    selected_checks: AbstractSet[AssetCheckKey],
    built: dict[str, dict[str, Any]],
    checks: list[AssetCheckResult],
) -> None:
    """Record a built model or a test result of the selection from one dbt log event."""
    name, data = raw_event["info"]["name"], raw_event["data"]
    unique_id = data.get("node_info", {}).get("unique_id")
    status = data.get("node_info", {}).get("node_status")
    if name == MODEL_RESULT and unique_id in specs.model_keys and status == "success":
        built[unique_id] = {"execution_seconds": float(data.get("execution_time") or 0.0)}
    elif name == TEST_RESULT and specs.check_keys.get(unique_id) in selected_checks:
        checks.append(check_result(specs, unique_id, data))


def dbt_build(
    context: AssetExecutionContext, specs: AuditSpecs, variables: Mapping[str, str], audit_db: Path
) -> Iterator[MaterializeResult | AssetCheckResult]:
    from dagster_dbt import DbtCliResource

    dbt = DbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable())
    built: dict[str, dict[str, Any]] = {}
    checks: list[AssetCheckResult] = []
    with tempfile.TemporaryDirectory(prefix="dbt-target-") as target, contextlib.redirect_stdout(LogLines(context.log)):
        args = ["build", "--vars", json.dumps(dict(variables)), *selection_args(context, specs)]
        invocation = dbt.cli(args, raise_on_error=False, target_path=Path(target))
        for event in invocation.stream_raw_events():
            read_event(event.raw_event, specs, context.selected_asset_check_keys, built, checks)
        succeeded, error = invocation.is_successful(), invocation.get_error()
    counts = row_counts(audit_db, [specs.model_keys[unique_id].path[-1] for unique_id in built])
    for unique_id, metadata in built.items():
        key = specs.model_keys[unique_id]
        if key.path[-1] in counts:
            metadata["dagster/row_count"] = counts[key.path[-1]]
        metadata["dbt/unique_id"] = unique_id
        yield MaterializeResult(asset_key=key, metadata=metadata)
    # After the models: a check result describes the materialization it follows (dbt holds the database
    # file's write lock until it exits, so row counts, and with them the materializations, come at the end).
    yield from checks
    if not succeeded:
        raise Failure(f"dbt build failed: {error or 'see the dbt log lines above'}")
