"""Where the dbt project of the audits lives, and its manifest, prepared ahead of any definitions load.

`make` prepares the manifest (`dagster-dbt project prepare-and-package --file amd_assets/audits/dbt_project.py`,
i.e. `dbt parse`) whenever a file of the dbt project changes, so loading the code location only reads JSON.
A checkout whose manifest is missing or older than the project (edited without `make`) is parsed once at load
with a warning, rather than failing to load: that costs seconds once, never on a prepared checkout.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from amd_assets.registry.load import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_models"
TARGET_DIR = DBT_PROJECT_DIR / "target"
MANIFEST_PATH = TARGET_DIR / "manifest.json"
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_DIRS = ("models", "tests", "macros")

log = logging.getLogger(__name__)


def dbt_executable() -> str:
    """The venv's dbt, found even when the venv's bin is not on PATH (e.g. `.venv/bin/python -m pytest`)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def project_mtime(project_dir: Path = DBT_PROJECT_DIR) -> float:
    """The newest modification time of the files the manifest is parsed from."""
    files = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_DIRS:
        files += [path for path in (project_dir / folder).rglob("*") if path.is_file()]
    return max(path.stat().st_mtime for path in files if path.exists())


def manifest_is_stale(manifest: Path = MANIFEST_PATH, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    return not manifest.exists() or manifest.stat().st_mtime < project_mtime(project_dir)


def parse_project(project_dir: Path = DBT_PROJECT_DIR) -> None:
    """`dbt parse` (offline: the project has no packages) into the project's target folder."""
    command = [dbt_executable(), "parse", "--quiet", "--project-dir", str(project_dir)]
    env = {**os.environ, "DO_NOT_TRACK": "1", "DBT_PROFILES_DIR": str(project_dir)}
    done = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse of {project_dir} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")


def ensure_manifest(manifest: Path = MANIFEST_PATH, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """The manifest's path, parsing first only when it is missing or stale (one parser at a time: `dagster dev`
    loads the definitions in several processes at once)."""
    if not manifest_is_stale(manifest, project_dir):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / "manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest_is_stale(manifest, project_dir):
            log.warning(
                "dbt manifest %s is missing or older than the project: parsing it now (`make` does this ahead of time)",
                manifest,
            )
            parse_project(project_dir)
    return manifest


def load_manifest(manifest: Path = MANIFEST_PATH) -> dict[str, Any]:
    import orjson

    return orjson.loads(ensure_manifest(manifest).read_bytes())
