"""`source_change` requests a run for exactly the source whose files changed, once per change."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import DagsterInstance, build_sensor_context

from amd_assets.registry.resource import SourceRegistryResource
from sensors import build_source_change_sensor

REGISTRY = """
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


def evaluate(sensor, registry: Path, cursor: str | None):
    context = build_sensor_context(
        instance=DagsterInstance.ephemeral(),
        cursor=cursor,
        resources={"source_registry": SourceRegistryResource(path=str(registry))},
    )
    return sensor(context)


def test_source_change_requests_only_the_changed_partition(tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "a.jsonl").write_text('{"q": "x"}\n')
    (tmp_path / "beta.jsonl").write_text('{"q": "y"}\n')
    sensor = build_source_change_sensor("per_source_pipeline")

    baseline = evaluate(sensor, registry, None)
    assert baseline.run_requests == [] and baseline.cursor

    unchanged = evaluate(sensor, registry, baseline.cursor)
    assert unchanged.run_requests == []

    (tmp_path / "alpha" / "b.jsonl").write_text('{"q": "z"}\n')
    added = evaluate(sensor, registry, unchanged.cursor)
    assert [r.partition_key for r in added.run_requests] == ["alpha"]

    beta = tmp_path / "beta.jsonl"
    beta.write_text('{"q": "y2"}\n')
    os.utime(beta, ns=(1, 1))
    modified = evaluate(sensor, registry, added.cursor)
    assert [r.partition_key for r in modified.run_requests] == ["beta"]
    assert modified.run_requests[0].run_key != added.run_requests[0].run_key

    beta.unlink()
    removed = evaluate(sensor, registry, modified.cursor)
    assert removed.run_requests == [], "a source whose files vanished is reported, not re-run"
