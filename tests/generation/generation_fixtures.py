"""Fixtures for the generation tests: the fault-injecting server and a Dagster runner for `teacher_responses`.

Loaded by the test modules through `pytest_plugins` rather than from a conftest.py: other test files import
helpers with `from conftest import …`, which breaks as soon as a second conftest module is on the path.
Every request goes to servers these fixtures open on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dagster import DagsterInstance, ExecuteInProcessResult, materialize
from fake_openai_server import FakeOpenAIServer
from generation_support import SOURCE

from amd_assets.generation import generation_assets, generation_checks
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


Materialize = Callable[..., ExecuteInProcessResult]


@pytest.fixture
def run_generation(lakehouse: LakehouseResource) -> Materialize:
    """Materialize `teacher_responses` and its blocking check for one partition, like the deployed job does."""
    instance = DagsterInstance.ephemeral()

    def run(teacher: TeacherResource, raise_on_error: bool = True, **config: Any) -> ExecuteInProcessResult:
        return materialize(
            [*generation_assets, *generation_checks],
            partition_key=SOURCE,
            instance=instance,
            raise_on_error=raise_on_error,
            resources={"lakehouse": lakehouse, "teacher": teacher, "judge": JudgeResource()},
            run_config={"ops": {"teacher_responses": {"config": config}}} if config else None,
        )

    return run
