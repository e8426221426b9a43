"""Fixtures for the generation tests: the fault-injecting server and a Dagster runner for `teacher_responses`.

Loaded by the test modules through `pytest_plugins` rather than from a conftest.py: other test files import
helpers with `from conftest import …`, which breaks as soon as a second conftest module is on the path.
Every request goes to servers these fixtures open on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dagster import ExecuteInProcessResult, materialize
from fake_openai_server import FakeOpenAIServer
from generation_support import SOURCE

from amd_assets.generation.assets import teacher_responses
from amd_assets.generation.checks import generation_checks
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource
from tests.dagster_support import source_instance


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


Materialize = Callable[..., ExecuteInProcessResult]


@pytest.fixture
def run_generation(lakehouse: LakehouseResource) -> Materialize:
    """Materialize `teacher_responses` and its blocking check for one partition, like the deployed job does."""
    instance = source_instance(SOURCE)

    def run(teacher: TeacherResource, raise_on_error: bool = True, **config: Any) -> ExecuteInProcessResult:
        return materialize(
            [teacher_responses, *generation_checks],
            partition_key=SOURCE,
            instance=instance,
            raise_on_error=raise_on_error,
            resources={"lakehouse": lakehouse, "teacher": teacher, "judge": JudgeResource()},
            run_config={"ops": {"teacher_responses": {"config": config}}} if config else None,
        )

    return run
