"""`source_change`: a run of the per-source job for exactly the source whose files changed, once per change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from amd_assets.jobs import PREPARE_SOURCES
from amd_assets.partitions import SOURCES
from amd_assets.registry import load_registry
from amd_assets.registry.resource import SourceRegistryResource
from sensors import build_source_change_sensor

SYNTHETIC_REGISTRY = """
sources:
  alpha:
    path: alpha/*.jsonl
    licence: MIT
    category: math
    fields: {prompt: q}
  beta:
    path: beta.jsonl
    licence: MIT
    category: math
    fields: {prompt: q}
"""


def resources(registry: Path) -> dict:
    return {"source_registry": SourceRegistryResource(path=str(registry))}


def test_source_change_requests_only_the_changed_partition(tmp_path, evaluate):
    registry = tmp_path / "sources.yaml"
    registry.write_text(SYNTHETIC_REGISTRY)
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "a.jsonl").write_text('{"q": "x"}\n')
    (tmp_path / "beta.jsonl").write_text('{"q": "y"}\n')
    sensor = build_source_change_sensor("per_source_pipeline")

    baseline = evaluate(sensor, resources(registry), None)
    assert baseline.run_requests == [] and baseline.cursor

    unchanged = evaluate(sensor, resources(registry), baseline.cursor)
    assert unchanged.run_requests == []

    (tmp_path / "alpha" / "b.jsonl").write_text('{"q": "z"}\n')
    added = evaluate(sensor, resources(registry), unchanged.cursor)
    assert [r.partition_key for r in added.run_requests] == ["alpha"]

    beta = tmp_path / "beta.jsonl"
    beta.write_text('{"q": "y2"}\n')
    os.utime(beta, ns=(1, 1))
    modified = evaluate(sensor, resources(registry), added.cursor)
    assert [r.partition_key for r in modified.run_requests] == ["beta"]
    assert modified.run_requests[0].run_key != added.run_requests[0].run_key

    beta.unlink()
    removed = evaluate(sensor, resources(registry), modified.cursor)
    assert removed.run_requests == [], "a source whose files vanished is reported, not re-run"


def test_rewritten_sample_file_requests_exactly_its_source_on_the_prepare_sources_job(repo_copy, evaluate):
    registry = repo_copy / "sources.yaml"
    names = load_registry(registry).names
    assert len(names) > 1 and "mbpp" in names
    sensor = build_source_change_sensor(PREPARE_SOURCES)
    assert sensor.job_name == PREPARE_SOURCES

    baseline = evaluate(sensor, resources(registry), None)
    assert baseline.run_requests == []
    assert [list(r.partition_keys) for r in baseline.dynamic_partitions_requests] == [names]  # registered

    unchanged = evaluate(sensor, resources(registry), baseline.cursor)
    assert unchanged.run_requests == [] and unchanged.skip_reason is not None
    assert unchanged.cursor == baseline.cursor

    # Rewrite one real sample file in place (same bytes, new mtime: a re-exported file counts as a change).
    sample = repo_copy / "data/samples/mbpp/mbpp.jsonl"
    sample.write_bytes(sample.read_bytes())
    changed = evaluate(sensor, resources(registry), unchanged.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["mbpp"]
    request = changed.run_requests[0]
    assert request.job_name in (None, PREPARE_SOURCES)  # None: the sensor's own job, prepare_sources
    assert request.tags["amd/trigger"] == "source_change"
    assert request.run_key.startswith("mbpp:")
    assert changed.cursor != unchanged.cursor

    # The same change seen again from the old cursor (a tick whose cursor was lost) has the same run key,
    # so Dagster launches it once; from the new cursor nothing is requested.
    again = evaluate(sensor, resources(registry), unchanged.cursor)
    assert [r.run_key for r in again.run_requests] == [request.run_key]
    after = evaluate(sensor, resources(registry), changed.cursor)
    assert after.run_requests == [] and after.skip_reason is not None


def test_new_file_matching_a_source_glob_requests_that_source(repo_copy, evaluate):
    registry = repo_copy / "sources.yaml"
    text = registry.read_text()
    assert "path: data/samples/math/math_sample.jsonl.gz" in text
    registry.write_text(text.replace("path: data/samples/math/math_sample.jsonl.gz", "path: data/samples/math/*.gz"))
    sensor = build_source_change_sensor(PREPARE_SOURCES)
    baseline = evaluate(sensor, resources(registry), None)

    math_dir = repo_copy / "data/samples/math"
    # Same bytes and mtime as an existing file: the new name alone is the change.
    shutil.copy2(math_dir / "math_sample.jsonl.gz", math_dir / "math_extra.jsonl.gz")
    added = evaluate(sensor, resources(registry), baseline.cursor)
    assert [r.partition_key for r in added.run_requests] == ["math"]
    assert evaluate(sensor, resources(registry), added.cursor).run_requests == []


def test_partitions_follow_the_registry_and_a_new_source_gets_its_first_run(tmp_path, evaluate, instance):
    registry = tmp_path / "sources.yaml"
    registry.write_text(SYNTHETIC_REGISTRY)
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "a.jsonl").write_text('{"q": "x"}\n')
    (tmp_path / "beta.jsonl").write_text('{"q": "y"}\n')
    sensor = build_source_change_sensor(PREPARE_SOURCES)

    first = evaluate(sensor, resources(registry), None)
    assert first.run_requests == [], "the first tick registers the sources without running them"
    assert instance.get_dynamic_partitions(SOURCES) == ["alpha", "beta"]

    (tmp_path / "gamma.jsonl").write_text('{"q": "z"}\n')
    registry.write_text(
        SYNTHETIC_REGISTRY + "  gamma:\n    path: gamma.jsonl\n    licence: MIT\n    category: math\n"
        "    fields: {prompt: q}\n"
    )
    added = evaluate(sensor, resources(registry), first.cursor)
    assert instance.get_dynamic_partitions(SOURCES) == ["alpha", "beta", "gamma"]
    assert [r.partition_key for r in added.run_requests] == ["gamma"]
    assert evaluate(sensor, resources(registry), added.cursor).run_requests == []

    registry.write_text(SYNTHETIC_REGISTRY.split("  beta:")[0])
    removed = evaluate(sensor, resources(registry), added.cursor)
    assert removed.run_requests == []
    assert instance.get_dynamic_partitions(SOURCES) == ["alpha"]

    registry.write_text("sources: [not, a, mapping]\n")
    broken = evaluate(sensor, resources(registry), removed.cursor)
    assert broken.skip_reason is not None and "unreadable" in broken.skip_reason.skip_message
    assert instance.get_dynamic_partitions(SOURCES) == ["alpha"], "a broken registry deletes nothing"
