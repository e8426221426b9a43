"""`amd audit`: build the dbt audit models (and their tests) over the lakehouse, print the main audits.

The `audit` job (amd_assets/audits) runs the same `dbt build` through Dagster, with the tests as asset checks;
this is the same build from a shell, without a Dagster instance.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import duckdb

from amd_assets.audits.project import DBT_PROJECT_DIR, dbt_executable

DBT_PROJECT = DBT_PROJECT_DIR
# What `amd audit` and `amd demo` print; every model is in the audit database for `amd sql` or the UI.
PRINTED = ("stage_funnel", "release_composition")


def dbt_build(
    lakehouse_root: str, audit_db: Path, target_path: Path | None = None, quiet: bool = False, select: str = ""
) -> int:
    """Run `dbt build` (models and their tests; `select` = dbt's --select) on the lakehouse; returns dbt's exit code."""
    audit_db.parent.mkdir(parents=True, exist_ok=True)
    variables = json.dumps({"lakehouse": lakehouse_root, "audit_db": str(audit_db)})
    command = [dbt_executable(), "build", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT)]
    command += ["--vars", variables]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    if select:
        command += ["--select", select]
    if quiet:
        command += ["--quiet"]
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    return subprocess.run(command, cwd=DBT_PROJECT, env=env, check=False).returncode


def audit_table(audit_db: Path, model: str) -> str:
    with duckdb.connect(str(audit_db), read_only=True) as connection:
        return str(connection.sql(f"SELECT * FROM {model} ORDER BY ALL"))


def print_audits(audit_db: Path, models: tuple[str, ...] = PRINTED) -> int:
    """Print the audit models from the audit database; 1 when it was never built."""
    if not audit_db.exists():
        print(f"No audit database at {audit_db}: run `amd audit`.")
        return 1
    print(f"Audit database (dbt): {audit_db}")
    for model in models:
        print(f"{model}:\n{audit_table(audit_db, model)}")
    return 0
