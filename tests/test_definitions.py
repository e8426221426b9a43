"""The code location loads, shows the pipeline's shape, and its generic package names resolve to this repo."""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path

from dagster import AssetKey

from amd_assets.definitions import defs
from amd_assets.jobs import CURATE_SOURCES, DEDUPLICATE, PREPARE_SOURCES
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


CHAIN = [
    ("raw_problems", "ingest"),
    ("normalized_problems", "ingest"),
    ("filtered_problems", "curation"),
    ("decontaminated_problems", "curation"),
    ("problem_signatures", "curation"),
    ("dedup_decisions", "curation"),
    ("curated_problems", "curation"),
]


def test_asset_graph_lineage_and_groups():
    graph = defs.resolve_asset_graph()
    for (parent, _), (child, group) in itertools.pairwise(CHAIN):
        assert AssetKey(parent) in graph.get(AssetKey(child)).parent_keys, child
        assert graph.get(AssetKey(child)).group_name == group
    assert graph.get(AssetKey("curated_problems")).parent_keys == {
        AssetKey("decontaminated_problems"),
        AssetKey("dedup_decisions"),
    }


def test_every_source_is_a_partition_and_only_dedup_is_global():
    names = load_registry().names
    assert source_partitions.get_partition_keys() == names
    graph = defs.resolve_asset_graph()
    for name, _ in CHAIN:
        expected = None if name == "dedup_decisions" else source_partitions
        assert graph.get(AssetKey(name)).partitions_def == expected, name
    assert defs.resolve_job_def(PREPARE_SOURCES).partitions_def == source_partitions
    assert defs.resolve_job_def(CURATE_SOURCES).partitions_def == source_partitions
    assert defs.resolve_job_def(DEDUPLICATE).partitions_def is None


def test_contracts_are_blocking_checks_on_each_stage():
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.path[-1], key.name): graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert {(name, "contract") for name, _ in CHAIN} <= set(checks)
    for name in ("normalized_problems", "filtered_problems", "decontaminated_problems", "curated_problems"):
        assert (name, "accounts_for_every_row") in checks
    assert all(spec.blocking for spec in checks.values())


def test_resources_follow_the_environment(monkeypatch, tmp_path):
    import amd_assets.resources as configured

    monkeypatch.setenv("AMD_LAKEHOUSE", str(tmp_path / "lh"))
    lakehouse = configured.build_resources()["lakehouse"].process_config_and_initialize()
    assert lakehouse.root_path() == str(tmp_path / "lh")
    monkeypatch.delenv("AMD_LAKEHOUSE")
    assert configured.build_resources()["lakehouse"].root == "lakehouse"


def test_change_sensors_target_the_per_source_job():
    for name in ("source_change", "benchmark_change"):
        assert defs.resolve_sensor_def(name).job_name == PREPARE_SOURCES


def test_dbt_audits_sit_downstream_of_the_delta_assets_and_tests_are_checks():
    from amd_assets.jobs import AUDIT

    graph = defs.resolve_asset_graph()

    def parents(name: str) -> set[str]:
        return {key.to_user_string() for key in graph.get(AssetKey(name)).parent_keys}

    audits = {key.path[-1] for key in graph.get_all_asset_keys() if graph.get(key).group_name == "audits"}
    assert {"release_gate", "release_composition", "stage_funnel", "verification_pass_rates"} <= audits
    assert {"response_length_stats", "contamination_hits", "cost_per_accepted_sample"} <= audits
    assert parents("release_gate") == {"release"}
    assert parents("release_composition") == {"release_gate"}
    # rejections and quarantine are side tables: the funnel depends on every asset that writes them
    rejection_writers = {"filtered_problems", "decontaminated_problems", "dedup_decisions", "curated_problems"}
    assert rejection_writers | {"distilled_samples", "raw_problems", "normalized_problems"} <= parents("stage_funnel")
    assert parents("verification_pass_rates") == {"response_verdicts", "curated_problems"}
    assert parents("cost_per_accepted_sample") == {"teacher_responses", "distilled_samples", "curated_problems"}
    assert not any(key.path[0] == "lakehouse" for key in graph.get_all_asset_keys())  # no stray source assets
    checks = {(key.asset_key.path[-1], key.name) for key in graph.asset_check_keys}
    assert ("release_gate", "unique_combination_release_gate_release_version__problem_id") in checks
    assert ("release_gate", "accepted_values_release_gate_origin__existing__teacher") in checks
    assert ("stage_funnel", "stage_funnel_balances") in checks
    assert defs.resolve_job_def(AUDIT).partitions_def is None
