"""`amd materialize` when one source fails: the others carry on, the failure is reported with its step and error,
the exit code is non-zero, and a release happens only with `--release-partial`, without the failed source.

The planted failure is real: `math`'s file is replaced by one that cannot be decompressed, on a copy of the
release history's lakehouse, so `math` still has rows from its earlier successful run in every table. Those stale
rows must not be released: the partial release holds exactly the sources whose chain succeeded this time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pyarrow.dataset as ds
import pytest
import yaml

from amd_assets.cli.main import main
from resources.lakehouse import LakehouseResource
from tests.release.release_fixtures import copy_lakehouse

JOBS = ["--job", "prepare_sources", "--job", "release_dataset"]


@pytest.fixture
def broken(history, tmp_path, monkeypatch) -> dict[str, Path]:
    """The history's registry with math's file unreadable, its lakehouse copied, a fresh Dagster instance."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    registry = tmp_path / "registry"
    shutil.copytree(history.registry.parent, registry)
    spec = yaml.safe_load((registry / "sources.yaml").read_text())
    (registry / "math_sample.jsonl.gz").write_bytes(b"this is not gzip data\n")
    spec["sources"]["math"]["path"] = "math_sample.jsonl.gz"
    (registry / "sources.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    lakehouse = copy_lakehouse(history.pipeline, tmp_path / "lakehouse")
    return {"registry": registry / "sources.yaml", "lakehouse": lakehouse, "releases": tmp_path / "releases"}


def materialize(where: dict[str, Path], *flags: str) -> int:
    locations = ["--lakehouse", str(where["lakehouse"]), "--releases", str(where["releases"])]
    return main([*locations, "--sources", str(where["registry"]), "materialize", *JOBS, *flags])


def test_a_failed_source_means_no_release_unless_asked_then_a_release_without_it(broken, capsys):
    assert materialize(broken) == 1
    out, err = capsys.readouterr()
    # math failed first in registry order; humaneval still ran
    assert "prepare_sources      math             FAILED (raw_problems)" in out
    assert "prepare_sources      humaneval        ok" in out
    assert "math: prepare_sources failed at raw_problems:" in err
    assert "math_sample.jsonl.gz" in err  # the error names the file, not just "FAILED"
    assert "No release: math failed" in err and "amd materialize --release-partial" in err
    assert not broken["releases"].exists() or not any(broken["releases"].iterdir())

    assert materialize(broken, "--release-partial") == 1  # a failed source is still a failed run
    out, err = capsys.readouterr()
    assert "release_dataset      (all sources)    ok" in out
    assert "Released without math (--release-partial" in err
    (folder,) = [p for p in broken["releases"].iterdir() if not p.name.startswith(".")]
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert list(manifest["missing_sources"]) == ["math"]
    assert manifest["missing_sources"]["math"].startswith("prepare_sources failed: raw_problems: ")
    assert list(manifest["rows_by_source"]) == ["humaneval"]
    assert "## Missing sources" in (folder / "README.md").read_text()

    # math's distilled samples from the earlier run are still in the table, and none of them was released
    tables = LakehouseResource(root=str(broken["lakehouse"]))
    assert tables.count("distilled_samples") > manifest["rows"]["total"]
    released = tables.read("release_rows", columns=["source"], filter=ds.field("release_version") == folder.name)
    assert set(released.column("source").to_pylist()) == {"humaneval"}
    assert released.num_rows == manifest["rows"]["total"] > 0
