"""A small registry of real sample rows (the first rows of `math` and `humaneval`) so the release tests run
the whole pipeline in seconds, and helpers shared by the release tests."""

import shutil
from pathlib import Path

import orjson
import yaml

from amd_assets.registry import REPO_ROOT
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from resources.lakehouse import LakehouseResource
from tests.pipeline import Pipeline

ROWS = {"math": 30, "humaneval": 12}


def _head(source: Path, target: Path, rows: int) -> None:
    import gzip

    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt") as handle:
        lines = [next(handle) for _ in range(rows)]
    target.write_text("".join(lines))


def small_registry(folder: Path) -> Path:
    """sources.yaml with the repo's math and humaneval entries pointing at their first rows."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text())
    entries = {}
    for name, rows in ROWS.items():
        entry = dict(spec["sources"][name])
        original = REPO_ROOT / entry["path"]
        target = folder / original.name.removesuffix(".gz")
        _head(original, target, rows)
        entry["path"] = target.name
        entries[name] = entry
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False))
    return path


def contaminating_benchmarks(folder: Path, prompt: str) -> Path:
    """The repo's benchmark registry plus one item that copies `prompt`."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = yaml.safe_load((REPO_ROOT / "benchmarks.yaml").read_text())
    for entry in spec["benchmarks"].values():
        entry["path"] = str(REPO_ROOT / entry["path"])
    (folder / "leak.jsonl").write_bytes(orjson.dumps({"id": "leak-1", "problem": prompt}) + b"\n")
    spec["benchmarks"]["leak"] = {"path": "leak.jsonl", "id": "id", "text": ["problem"], "licence": "test"}
    path = folder / "benchmarks.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def small_pipeline(lakehouse_root: Path, registry: Path, releases: Path, benchmarks: Path | None = None) -> Pipeline:
    from amd_assets.release.store import ReleaseStoreResource

    pipeline = Pipeline(LakehouseResource(root=str(lakehouse_root)), benchmarks)
    pipeline.resources["source_registry"] = SourceRegistryResource(path=str(registry))
    if benchmarks is not None:
        pipeline.resources["benchmark_registry"] = BenchmarkRegistryResource(path=str(benchmarks))
    pipeline.resources["release_store"] = ReleaseStoreResource(root=str(releases))
    return pipeline


def copy_lakehouse(pipeline: Pipeline, target: Path) -> Path:
    shutil.copytree(pipeline.lakehouse.root_path(), target)
    return target
