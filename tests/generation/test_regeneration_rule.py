"""One rule decides who needs another teacher sample: the `regeneration` sensor requests a run of a source exactly
when `teacher_responses` would request something there, on a real round of generation and verification (fake
teacher on 127.0.0.1, real math-verify)."""

from __future__ import annotations

import re

from dagster import build_sensor_context, materialize
from generation_support import SOURCE, make_teacher, problem, write_curated

from amd_assets.generation.selection import SamplingPlan, count_pending
from amd_assets.registry import REPO_ROOT
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.assets import distilled_samples, response_verdicts
from amd_assets.verification.judge import JudgeResource
from resources.sandbox import SandboxResource
from sensors import build_regeneration_sensor
from tests.dagster_support import source_instance

pytest_plugins = ["generation_fixtures"]
PLAN = SamplingPlan(max_attempts=2)
WRONG = 2  # the teacher always gets problem 2 wrong


def answer(prompt: str) -> str:
    index = int(re.search(r"what is (\d+) \+", prompt).group(1))  # type: ignore[union-attr]
    return f"The sum is $\\boxed{{{2 * index + (1 if index == WRONG else 0)}}}$."


def verify(lakehouse) -> None:
    resources = {"lakehouse": lakehouse, "sandbox": SandboxResource(workers=1), "judge": JudgeResource()}
    result = materialize(
        [response_verdicts, distilled_samples],
        partition_key=SOURCE,
        instance=source_instance(SOURCE),
        resources=resources,
    )
    assert result.success


def test_the_sensor_requests_a_round_exactly_when_the_asset_would_sample(lakehouse, server, run_generation):
    write_curated(lakehouse, [problem(0), problem(1), problem(WRONG), problem(3, trace=True)])
    server.state.answer = answer
    teacher = make_teacher(server)
    sensor = build_regeneration_sensor("regenerate_responses", PLAN)
    instance = source_instance(SOURCE)

    def tick(cursor: str | None = None):
        resources = {
            "lakehouse": lakehouse,
            "source_registry": SourceRegistryResource(path=str(REPO_ROOT / "sources.yaml")),
            "teacher": teacher,
            "judge": JudgeResource(),
        }
        return sensor(build_sensor_context(instance=instance, cursor=cursor, resources=resources))

    def pending() -> int:
        acceptance = Acceptance(JudgeResource())
        return count_pending(lakehouse, SOURCE, teacher.model, teacher.sampling(), PLAN, acceptance).requested

    assert pending() == 3  # problems 0-2; problem 3 has an existing trace (not verified yet)
    assert [r.partition_key for r in tick().run_requests] == [SOURCE]

    assert run_generation(teacher, max_attempts=PLAN.max_attempts).success
    assert len(server.log) == 3
    # 0 and 1 accepted, 2 rejected (one attempt of two spent), and 3's existing trace is wrong: it needs a sample.
    verify(lakehouse)
    assert pending() == 2
    first = tick()
    assert [r.partition_key for r in first.run_requests] == [SOURCE]
    assert tick(first.cursor).skip_reason is not None  # same state: not read again

    assert run_generation(teacher, max_attempts=PLAN.max_attempts).success
    assert len(server.log) == 5, "the second round asks for problems 2 and 3 only"
    verify(lakehouse)
    assert pending() == 0
    out_of_attempts = tick(first.cursor)
    assert out_of_attempts.run_requests == [] and "out of attempts" in out_of_attempts.skip_reason.skip_message
