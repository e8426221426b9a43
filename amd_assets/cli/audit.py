"""`amd audit`: build the dbt audit models over the lakehouse and print the ingest funnel from them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from amd_assets.registry import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_models"


def default_audit_db() -> Path:
    return Path(os.environ.get("AMD_AUDIT_DB", DBT_PROJECT / "target" / "audits.duckdb")).resolve()


def dbt_build(lakehouse_root: str, audit_db: Path, target_path: Path | None = None, quiet: bool = False) -> int:
    """Run `dbt build` (models and their tests) against the lakehouse; returns dbt's exit code."""
    audit_db.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AMD_LAKEHOUSE": lakehouse_root, "AMD_AUDIT_DB": str(audit_db), "DO_NOT_TRACK": "1"}
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
    ]
    if target_path is not None:
        command += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    if quiet:
        command += ["--quiet"]
    return subprocess.run(command, cwd=DBT_PROJECT, env=env, check=False).returncode


def audit_table(audit_db: Path, model: str) -> str:
    with duckdb.connect(str(audit_db), read_only=True) as connection:
        return str(connection.sql(f"SELECT * FROM {model} ORDER BY 1"))
