"""`manifest.json`: what a release is made of, exactly enough to rebuild or audit it."""

import hashlib
import importlib.metadata
import subprocess
from pathlib import Path
from typing import Any

import orjson

from amd_assets.registry import REPO_ROOT
from amd_assets.release.files import file_digest

MANIFEST = "manifest.json"


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def code_version() -> dict[str, Any]:
    """The git commit and whether tracked files differ from it; the package version when git is unavailable."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {
        "git_commit": commit,
        "dirty": bool(status) if status is not None else None,
        "package_version": importlib.metadata.version("amd"),
    }


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(config, option=orjson.OPT_SORT_KEYS)).hexdigest()


def describe_files(folder: Path, rows: dict[str, int]) -> dict[str, dict[str, Any]]:
    """sha256, size and (for data files) row count of every file in the release folder but the manifest."""
    described = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        name = path.relative_to(folder).as_posix()
        described[name] = {"bytes": path.stat().st_size, "sha256": file_digest(path), "rows": rows.get(name)}
    return described


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    return orjson.loads(path.read_bytes()) if path.is_file() else None
