"""The code location loads, shows the pipeline's shape, and its generic package names resolve to this repo."""

from __future__ import annotations

import importlib
from pathlib import Path

from dagster import AssetKey

from amd_assets.definitions import PER_SOURCE_JOB, defs
from amd_assets.partitions import source_partitions
from amd_assets.registry import REPO_ROOT, load_registry


def test_resources_and_sensors_import_from_this_repo():
    for name in ("resources", "sensors", "amd_assets"):
        module = importlib.import_module(name)
        assert Path(module.__file__).resolve().parent == REPO_ROOT / name, name


def test_layout_has_the_customer_facing_names():
    for name in (
        "pyproject.toml",
        "uv.lock",
        "workspace.yaml",
        "sources.yaml",
        "benchmarks.yaml",
        "Makefile",
        "README.md",
        ".ci/run",
        "amd_assets",
        "resources",
        "sensors",
        "dbt_models",
        "tests",
        "benchmarks",
        "data/samples",
    ):
        assert (REPO_ROOT / name).exists(), name


def test_asset_graph_lineage_and_groups():
    graph = defs.resolve_asset_graph()
    raw, normalized = AssetKey("raw_problems"), AssetKey("normalized_problems")
    assert {raw, normalized} <= graph.get_all_asset_keys()
    assert graph.get(normalized).parent_keys == {raw}
    assert {graph.get(key).group_name for key in (raw, normalized)} == {"ingest"}


def test_every_source_is_a_partition_and_every_stage_is_partitioned():
    names = load_registry().names
    assert source_partitions.get_partition_keys() == names
    graph = defs.resolve_asset_graph()
    for key in (AssetKey("raw_problems"), AssetKey("normalized_problems")):
        assert graph.get(key).partitions_def == source_partitions
    assert defs.resolve_job_def(PER_SOURCE_JOB).partitions_def == source_partitions


def test_contracts_are_blocking_checks_on_each_stage():
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.path[-1], key.name): graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert set(checks) >= {
        ("raw_problems", "contract"),
        ("normalized_problems", "contract"),
        ("normalized_problems", "accounts_for_every_row"),
    }
    assert all(spec.blocking for spec in checks.values())


def test_resources_follow_the_environment(monkeypatch, tmp_path):
    import amd_assets.resources as configured

    monkeypatch.setenv("AMD_LAKEHOUSE", str(tmp_path / "lh"))
    lakehouse = configured.build_resources()["lakehouse"].process_config_and_initialize()
    assert lakehouse.root_path() == str(tmp_path / "lh")
    monkeypatch.delenv("AMD_LAKEHOUSE")
    assert configured.build_resources()["lakehouse"].root == "lakehouse"


def test_source_change_sensor_targets_the_per_source_job():
    sensor = defs.resolve_sensor_def("source_change")
    assert sensor.job_name == PER_SOURCE_JOB
