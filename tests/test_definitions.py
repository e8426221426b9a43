"""The code location loads, shows the pipeline's shape, and its generic package names resolve to this repo."""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path

from dagster import AssetKey, DefaultSensorStatus, DynamicPartitionsDefinition, materialize

from amd_assets.definitions import defs
from amd_assets.ingest.assets import raw_problems
from amd_assets.jobs import CURATE_SOURCES, DEDUPLICATE, GENERATE_RESPONSES, PREPARE_SOURCES, VERIFY_RESPONSES
from amd_assets.partitions import release_versions, source_partitions
from amd_assets.registry import REPO_ROOT
from resources.lakehouse import LakehouseResource
from tests.dagster_support import source_instance


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


def test_sources_and_release_versions_are_dynamic_partitions_and_only_dedup_and_release_are_global():
    graph = defs.resolve_asset_graph()
    for name, _ in CHAIN:
        expected = None if name == "dedup_decisions" else source_partitions
        assert graph.get(AssetKey(name)).partitions_def == expected, name
    for name in ("teacher_responses", "response_verdicts", "distilled_samples"):
        assert graph.get(AssetKey(name)).partitions_def == source_partitions, name
    assert isinstance(source_partitions, DynamicPartitionsDefinition) and source_partitions.name == "sources"
    assert graph.get(AssetKey("release")).partitions_def is None
    assert graph.get(AssetKey("release_rows")).partitions_def == release_versions
    assert AssetKey("release") in graph.get(AssetKey("release_rows")).parent_keys
    for job in (PREPARE_SOURCES, CURATE_SOURCES, GENERATE_RESPONSES, VERIFY_RESPONSES):
        assert defs.resolve_job_def(job).partitions_def == source_partitions, job
    assert defs.resolve_job_def(DEDUPLICATE).partitions_def is None


def test_every_job_runs_in_one_process():
    """A step subprocess would import the code location again for seconds of work (issue 11)."""
    jobs = [defs.resolve_job_def(job.name) for job in defs.jobs] + [defs.resolve_implicit_global_asset_job_def()]
    assert {job.executor_def.name for job in jobs} == {"in_process"}


def test_contracts_are_blocking_checks_on_each_stage():
    graph = defs.resolve_asset_graph()
    checks = {(key.asset_key.path[-1], key.name): graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert {(name, "contract") for name, _ in CHAIN} <= set(checks)
    for name in ("normalized_problems", "filtered_problems", "decontaminated_problems", "curated_problems"):
        assert (name, "accounts_for_every_row") in checks
    assert all(spec.blocking for spec in checks.values())


def test_resource_settings_resolve_when_a_run_launches_and_explicit_paths_win(monkeypatch, tmp_path):
    from amd_assets.build import build_defs
    from amd_assets.settings import Paths

    monkeypatch.delenv("AMD_LAKEHOUSE", raising=False)
    built = build_defs()  # fills the default, then the user exports another lakehouse before launching a run
    assert built.resources["lakehouse"].process_config_and_initialize().root == "lakehouse"
    monkeypatch.setenv("AMD_LAKEHOUSE", str(tmp_path / "launched"))
    resources = {key: built.resources[key] for key in ("lakehouse", "duckdb", "source_registry")}
    result = materialize([raw_problems], partition_key="gsm8k", instance=source_instance("gsm8k"), resources=resources)
    assert result.success
    assert LakehouseResource(root=str(tmp_path / "launched")).count("raw_problems") == 300
    explicit = build_defs(paths=Paths(lakehouse=str(tmp_path / "flag")))
    assert explicit.resources["lakehouse"].root == str(tmp_path / "flag")
    assert explicit.resources["duckdb"].lakehouse.root == str(tmp_path / "flag")


def test_change_sensors_target_the_per_source_job_and_the_registry_sensor_runs_by_default():
    for name in ("source_change", "benchmark_change"):
        assert defs.resolve_sensor_def(name).job_name == PREPARE_SOURCES
    assert defs.resolve_sensor_def("source_change").default_status == DefaultSensorStatus.RUNNING
    for name in ("benchmark_change", "regeneration"):  # these spend compute or teacher time: opt in
        assert defs.resolve_sensor_def(name).default_status == DefaultSensorStatus.STOPPED


def test_dbt_audits_sit_downstream_of_the_delta_assets_and_tests_are_checks():
    from amd_assets.jobs import AUDIT

    graph = defs.resolve_asset_graph()

    def parents(name: str) -> set[str]:
        return {key.to_user_string() for key in graph.get(AssetKey(name)).parent_keys}

    audits = {key.path[-1] for key in graph.get_all_asset_keys() if graph.get(key).group_name == "audits"}
    assert {"release_gate", "release_composition", "stage_funnel", "verification_pass_rates"} <= audits
    assert {"response_length_stats", "contamination_hits", "cost_per_accepted_sample"} <= audits
    assert parents("release_gate") == {"release_rows"}
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
