"""`benchmark_change`: decontamination is retroactive, so a changed benchmark file re-runs every source's
preparation (every partition is affected), once per change."""

from __future__ import annotations

from dagster import SkipReason

from amd_assets.jobs import PREPARE_SOURCES
from amd_assets.registry import load_registry
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from sensors import build_benchmark_change_sensor
from tests.dagster_support import source_instance


def test_changed_benchmark_file_requests_every_source_once(repo_copy, evaluate, instance):
    source_instance(*load_registry(repo_copy / "sources.yaml").names, instance=instance)
    resources = {
        "benchmark_registry": BenchmarkRegistryResource(path=str(repo_copy / "benchmarks.yaml")),
        "source_registry": SourceRegistryResource(path=str(repo_copy / "sources.yaml")),
    }
    sources = load_registry(repo_copy / "sources.yaml").names
    sensor = build_benchmark_change_sensor(PREPARE_SOURCES)
    assert sensor.job_name == PREPARE_SOURCES

    baseline = evaluate(sensor, resources, None)
    assert baseline.run_requests == [] and baseline.cursor
    assert isinstance(baseline.skip_reason, SkipReason)
    unchanged = evaluate(sensor, resources, baseline.cursor)
    assert unchanged.run_requests == [] and unchanged.skip_reason is not None
    assert unchanged.cursor == baseline.cursor

    # One more item in a benchmark file (the registry itself untouched).
    aime = repo_copy / "data/benchmarks/aime2025.jsonl"
    aime.write_text(aime.read_text() + '{"id": "late-1", "question": "A problem published after the release."}\n')
    changed = evaluate(sensor, resources, unchanged.cursor)
    assert [r.partition_key for r in changed.run_requests] == sources
    assert {r.job_name for r in changed.run_requests} <= {None, PREPARE_SOURCES}
    assert {r.tags["amd/trigger"] for r in changed.run_requests} == {"benchmark_change"}
    assert len({r.run_key for r in changed.run_requests}) == len(sources)
    assert {r.run_key.split(":", 1)[1] for r in changed.run_requests} == {changed.cursor}

    assert evaluate(sensor, resources, changed.cursor).run_requests == []

    # Another change later gets new run keys (a run key once used is never launched again by Dagster).
    aime.write_text(aime.read_text() + '{"id": "late-2", "question": "Yet another late problem."}\n')
    second = evaluate(sensor, resources, changed.cursor)
    assert [r.partition_key for r in second.run_requests] == sources
    assert not {r.run_key for r in second.run_requests} & {r.run_key for r in changed.run_requests}


def test_a_disabled_benchmarks_file_changes_nothing_until_it_is_enabled(repo_copy, evaluate, instance):
    source_instance(*load_registry(repo_copy / "sources.yaml").names, instance=instance)
    resources = {
        "benchmark_registry": BenchmarkRegistryResource(path=str(repo_copy / "benchmarks.yaml")),
        "source_registry": SourceRegistryResource(path=str(repo_copy / "sources.yaml")),
    }
    sensor = build_benchmark_change_sensor(PREPARE_SOURCES)
    baseline = evaluate(sensor, resources, None)
    registry = BenchmarkRegistryResource(path=str(repo_copy / "benchmarks.yaml")).load()
    disabled = next(name for name, spec in registry.benchmarks.items() if not spec.enabled)
    for file in registry.files(disabled):
        file.write_bytes(file.read_bytes() + b"\n")
    assert evaluate(sensor, resources, baseline.cursor).run_requests == []
    config = repo_copy / "benchmarks.yaml"
    text = config.read_text()
    assert "enabled: false" in text
    config.write_text(text.replace("enabled: false", "enabled: true", 1))
    assert len(evaluate(sensor, resources, baseline.cursor).run_requests) == len(
        load_registry(repo_copy / "sources.yaml").names
    )
