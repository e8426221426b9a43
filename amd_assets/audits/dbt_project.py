"""The dbt project of the audits, with a manifest guaranteed at definitions load.

`DbtProject.prepare_if_dev()` only parses under `dagster dev`; the test suite, `amd materialize` and a fresh
clone (no target/manifest.json, it is ignored by git) load the definitions without it. So the manifest is
(re)built with `dbt parse` (offline, no packages) whenever it is missing or older than a file of the dbt
project, and loaded as is otherwise: a load with an up-to-date manifest starts no process.
"""

import sys
from pathlib import Path

from dagster._utils import run_with_concurrent_update_guard
from dagster_dbt import DbtCliResource, DbtProject

from amd_assets.registry import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_models"
DEFAULT_AUDIT_DB = DBT_PROJECT_DIR / "target" / "audits.duckdb"
PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_DIRS = ("models", "tests", "macros")


def project_mtime(project_dir: Path) -> float:
    """The newest modification time of the files the manifest is parsed from."""
    files = [project_dir / name for name in PROJECT_FILES]
    for folder in PROJECT_DIRS:
        files += [path for path in (project_dir / folder).rglob("*") if path.is_file()]
    return max(path.stat().st_mtime for path in files if path.exists())


def dbt_executable() -> str:
    """The venv's dbt, found even when the venv's bin is not on PATH (e.g. `.venv/bin/python -m pytest`)."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def parse(project: DbtProject) -> None:
    """`dbt parse` into the project's target path (what DbtProject's preparer does, with our dbt executable)."""
    dbt = DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
    dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()


def manifest_is_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    return not manifest.exists() or manifest.stat().st_mtime < project_mtime(Path(project.project_dir))


def ensure_manifest(project: DbtProject) -> Path:
    """Parse the project when its manifest is missing or stale; returns the manifest's path."""
    if manifest_is_stale(project):
        # Several processes may load the definitions at once (dagster dev's code server and webserver).
        run_with_concurrent_update_guard(project.manifest_path, parse, project=project)
    return project.manifest_path


audit_project = DbtProject(project_dir=DBT_PROJECT_DIR)
ensure_manifest(audit_project)
