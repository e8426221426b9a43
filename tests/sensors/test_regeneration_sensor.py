"""`regeneration`: another round of rejection sampling for a source whose curated problems still lack an
accepted response and have attempts left; nothing without a teacher. Tables are minimal Delta tables holding
the two columns the sensor reads (`problem_id`, `source`)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from dagster import SkipReason

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.jobs import REGENERATE
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.verification.tables import DISTILLED_SAMPLES
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource
from sensors import build_regeneration_sensor
from tests.dagster_support import source_instance

REGISTRY = "sources:\n" + "".join(
    f"  {name}:\n    path: {name}.jsonl\n    licence: MIT\n    category: math\n    fields: {{prompt: q}}\n"
    for name in ("alpha", "beta", "gamma")
)
SCHEMA = pa.schema([pa.field("problem_id", pa.string()), pa.field("source", pa.string())])
TEACHER = TeacherResource(backend="openai", base_urls="http://127.0.0.1:9/v1")  # configured; never called


def write(lakehouse: LakehouseResource, table: str, rows: list[tuple[str, str]]) -> None:
    batch = pa.RecordBatch.from_pylist([{"problem_id": p, "source": s} for p, s in rows], schema=SCHEMA)
    lakehouse.append(table, [batch], SCHEMA, ["source"])


@pytest.fixture
def setup(tmp_path: Path, instance):
    source_instance("alpha", "beta", "gamma", instance=instance)
    registry = tmp_path / "sources.yaml"
    registry.write_text(REGISTRY)
    lakehouse = LakehouseResource(root=str(tmp_path / "lakehouse"))

    def resources(teacher: TeacherResource = TEACHER) -> dict:
        return {
            "lakehouse": lakehouse,
            "source_registry": SourceRegistryResource(path=str(registry)),
            "teacher": teacher,
        }

    return lakehouse, resources


def test_requests_only_sources_with_unaccepted_problems_and_attempts_left(setup, evaluate):
    lakehouse, resources = setup
    # alpha: a1 accepted, a2 has 1 of 2 attempts spent → waiting. beta: everything accepted.
    # gamma: g1 has spent both attempts → nothing left to try.
    write(lakehouse, CURATED_PROBLEMS.name, [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta"), ("g1", "gamma")])
    write(lakehouse, DISTILLED_SAMPLES.name, [("a1", "alpha"), ("b1", "beta")])
    write(lakehouse, TEACHER_RESPONSES.name, [("a2", "alpha"), ("g1", "gamma"), ("g1", "gamma")])
    sensor = build_regeneration_sensor(REGENERATE, max_attempts=2)
    assert sensor.job_name == REGENERATE

    result = evaluate(sensor, resources())
    assert [r.partition_key for r in result.run_requests] == ["alpha"]
    request = result.run_requests[0]
    assert request.job_name in (None, REGENERATE)
    assert request.tags["amd/trigger"] == "regeneration"

    # The same lakehouse state is requested under the same run key (Dagster launches it once) ...
    assert [r.run_key for r in evaluate(sensor, resources()).run_requests] == [request.run_key]

    # ... and a new teacher round that still leaves a2 unaccepted with attempts left is a new state.
    write(lakehouse, TEACHER_RESPONSES.name, [("b1", "beta")])
    renewed = evaluate(sensor, resources())
    assert [r.partition_key for r in renewed.run_requests] == ["alpha"]
    assert renewed.run_requests[0].run_key != request.run_key

    # a2 out of attempts: nothing left to request.
    write(lakehouse, TEACHER_RESPONSES.name, [("a2", "alpha")])
    exhausted = evaluate(sensor, resources())
    assert exhausted.run_requests == [] and isinstance(exhausted.skip_reason, SkipReason)


def test_curated_problems_without_any_response_yet_are_requested(setup, evaluate):
    lakehouse, resources = setup
    write(lakehouse, CURATED_PROBLEMS.name, [("b1", "beta"), ("g1", "gamma")])
    result = evaluate(build_regeneration_sensor(REGENERATE), resources())
    assert [r.partition_key for r in result.run_requests] == ["beta", "gamma"]


def test_no_teacher_configured_requests_nothing(setup, evaluate):
    lakehouse, resources = setup
    write(lakehouse, CURATED_PROBLEMS.name, [("a1", "alpha")])
    result = evaluate(build_regeneration_sensor(REGENERATE), resources(TeacherResource()))
    assert result.run_requests == []
    assert result.skip_reason is not None and "no teacher" in result.skip_reason.skip_message


def test_empty_lakehouse_requests_nothing(setup, evaluate):
    _, resources = setup
    result = evaluate(build_regeneration_sensor(REGENERATE), resources())
    assert result.run_requests == [] and result.skip_reason is not None
