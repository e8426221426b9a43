"""Every asset spec of the code location as a reviewed snapshot (`tests/__snapshots__/test_asset_graph.ambr`): a
change to the graph (a key, a dependency, a partitioning, a group, a check, a kind, a job's selection) shows up
as a diff in review. After an intended change: `uv run pytest tests/test_asset_graph.py --snapshot-update`."""

from __future__ import annotations

from typing import Any

from amd_assets.definitions import defs


def partitioning(partitions_def: Any) -> str | None:
    if partitions_def is None:
        return None
    return f"{type(partitions_def).__name__}({getattr(partitions_def, 'name', '')})"


def asset_specs() -> dict[str, dict[str, Any]]:
    graph = defs.resolve_asset_graph()
    specs = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        checks = {
            check.name: "blocking" if graph.get_check_spec(check).blocking else "warning"
            for check in sorted(graph.asset_check_keys, key=lambda c: c.name)
            if check.asset_key == key
        }
        specs[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": partitioning(node.partitions_def),
            "kinds": sorted(node.kinds),
            "checks": checks,
            "executable": node.is_executable,
        }
    return specs


def jobs() -> dict[str, dict[str, Any]]:
    found = {}
    for job in sorted(defs.jobs or [], key=lambda j: j.name):
        resolved = defs.resolve_job_def(job.name)
        found[job.name] = {
            "assets": sorted(key.to_user_string() for key in resolved.asset_layer.executable_asset_keys),
            "partitions": partitioning(resolved.partitions_def),
            "executor": resolved.executor_def.name,
        }
    return found


def test_asset_specs_match_the_reviewed_snapshot(snapshot):
    assert asset_specs() == snapshot


def test_jobs_match_the_reviewed_snapshot(snapshot):
    assert jobs() == snapshot


def test_sensors_match_the_reviewed_snapshot(snapshot):
    sensors = {
        sensor.name: {"job": sensor.job_name, "default_status": sensor.default_status.value}
        for sensor in defs.sensors or []
    }
    assert sensors == snapshot
