"""End to end with a vLLM-style server (`--reasoning-parser deepseek_r1`): the think part arrives in
`reasoning_content`, the content holds only `<answer>\\boxed{…}</answer>`. Verification must judge the response as
the model wrote it (think block put back from the reasoning field), accept the correct ones, and the next
generation run must not ask again for problems that are accepted.
"""

from __future__ import annotations

import re

import orjson
import pyarrow.dataset as ds
from dagster import materialize
from generation_support import SOURCE, make_teacher, problem, write_curated

from amd_assets.verification.assets import distilled_samples, response_verdicts
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS
from resources.sandbox import SandboxResource
from tests.dagster_support import source_instance

pytest_plugins = ["generation_fixtures"]

PROBLEMS = 6


def right_answer(prompt: str) -> str:
    """The fake teacher solves `what is a + b?` correctly, boxed."""
    found = re.search(r"what is (\d+) \+ (\d+)\?", prompt)
    assert found, prompt
    return f"The sum is $\\boxed{{{int(found.group(1)) + int(found.group(2))}}}$."


def verify(lakehouse) -> None:
    result = materialize(
        [response_verdicts, distilled_samples],
        partition_key=SOURCE,
        instance=source_instance(SOURCE),
        resources={"lakehouse": lakehouse, "sandbox": SandboxResource(workers=1), "judge": JudgeResource()},
    )
    assert result.success


def test_reasoning_field_responses_are_accepted_and_not_asked_again(lakehouse, server, run_generation):
    write_curated(lakehouse, [problem(i) for i in range(PROBLEMS)])
    server.set_default("reasoning")
    server.state.answer = right_answer
    teacher = make_teacher(server)
    assert run_generation(teacher).success
    sent = len(server.log)
    assert sent == PROBLEMS
    stored = lakehouse.read("teacher_responses").to_pylist()
    assert all(row["reasoning"] and "<think>" not in row["text"] for row in stored)

    verify(lakehouse)
    verdicts = lakehouse.read(RESPONSE_VERDICTS.name, filter=ds.field("source") == SOURCE).to_pylist()
    formats = [v for v in verdicts if v["verifier"] == "rule_format"]
    assert len(formats) == PROBLEMS and all(v["passed"] for v in formats), formats
    maths = [v for v in verdicts if v["verifier"] == "math_verify"]
    assert [v["verdict"] for v in maths] == ["pass"] * PROBLEMS, maths
    kept = lakehouse.read(DISTILLED_SAMPLES.name).to_pylist()
    assert len(kept) == PROBLEMS
    assert all(row["think"].startswith("reasoning about") for row in kept)
    assert all(orjson.loads(row["verdicts"])["rule_format"] == "pass" for row in kept)

    again = run_generation(teacher)
    metadata = {k: v.value for k, v in again.asset_materializations_for_node("teacher_responses")[0].metadata.items()}
    assert len(server.log) == sent, "accepted problems were asked again"
    assert metadata["skipped_accepted"] == PROBLEMS
