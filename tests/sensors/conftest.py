"""Sensors evaluated the way the daemon does, one tick at a time: `build_sensor_context` on a real ephemeral
instance, the previous tick's cursor passed to the next, its partition requests applied to the instance."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from dagster import AddDynamicPartitionsRequest, DagsterInstance, SensorResult, build_sensor_context

from amd_assets.registry import REPO_ROOT

Evaluate = Callable[..., SensorResult]


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def apply_partition_requests(instance: DagsterInstance, result: SensorResult) -> None:
    """What the daemon does with a tick's dynamic partition requests."""
    for request in result.dynamic_partitions_requests or []:
        if isinstance(request, AddDynamicPartitionsRequest):
            instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
        else:
            for key in request.partition_keys:
                instance.delete_dynamic_partition(request.partitions_def_name, key)


@pytest.fixture
def evaluate(instance) -> Evaluate:
    def tick(sensor, resources: dict, cursor: str | None = None) -> SensorResult:
        result = sensor(build_sensor_context(instance=instance, cursor=cursor, resources=resources))
        assert isinstance(result, SensorResult), result
        apply_partition_requests(instance, result)
        return result

    return tick


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """sources.yaml and benchmarks.yaml with the sample and benchmark files they name, copied (mtimes kept) to a
    tmp dir: the relative paths stay valid, and the tests can touch files without touching the repo."""
    for name in ("sources.yaml", "benchmarks.yaml"):
        shutil.copy2(REPO_ROOT / name, tmp_path / name)
    for folder in ("data/samples", "data/benchmarks"):
        shutil.copytree(REPO_ROOT / folder, tmp_path / folder)
    return tmp_path
