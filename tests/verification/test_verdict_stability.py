"""Stored verdicts stay valid: the verdict rows, verifier names and versions, the current verdicts of the release
manifest and the acceptance decisions are pinned for a fixed set of responses covering every verifier (rules on
existing traces and teacher responses, math-verify with the judge's second opinion, the code sandbox, the rubric
judge, a reasoning-parser response).

A change here means every stored verdict of that verifier is judged again. When that is the intent (a version
bump), regenerate the pinned file with `AMD_UPDATE_PINNED=1 uv run pytest tests/verification/test_verdict_stability.py`
and say so in the commit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from test_judge import judge_stub
from test_verification_assets import teacher_row

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.acceptance import Acceptance, assess_source
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.math.pool import MathVerifierPool
from amd_assets.verification.rules import RuleSettings
from amd_assets.verification.stage import VerifyStage
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from resources.sandbox import SandboxResource

PINNED = Path(__file__).parent / "data" / "pinned_verdicts.json"
SOURCE = "pinned"
CODE_TESTS = json.dumps(
    {
        "kind": "stdio",
        "language": "python",
        "cases": [{"input": "2 3\n", "output": "5\n"}, {"input": "1 1", "output": "2"}],
    }
)
FRENCH = (
    "Expliquez en quelques phrases pourquoi le ciel est bleu pendant la journée et rouge au coucher du soleil, "
    "en donnant les idées principales de la diffusion de la lumière."
)


def problem(key: str, category: str, prompt: str, reference: str | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "problem_id": key.rjust(24, "0"),
        "source": SOURCE,
        "source_file": f"data/{SOURCE}.jsonl",
        "source_row": int(key, 16),
        "row_key": key,
        "category": category,
        "subcategory": None,
        "difficulty": None,
        "language": "en",
        "prompt": prompt,
        "reference_answer": reference,
        "test_cases": None,
        "num_test_cases": 0,
        "trace_think": None,
        "trace_answer": None,
        "trace_origin": None,
        "trace_model": None,
        "metadata": "{}",
        **fields,
    }


PROBLEMS = [
    problem("1", "math", "What is 2+2?", "4", trace_answer="The answer is $\\boxed{4}$.", trace_model="human"),
    problem("2", "math", "What is 3+4? Put the answer in a box.", "7"),
    problem(
        "3",
        "code",
        "Read two integers and print their sum.",
        test_cases=CODE_TESTS,
        num_test_cases=2,
        trace_answer="```python\na, b = map(int, input().split())\nprint(a + b)\n```",
        trace_model="human",
    ),
    problem("4", "general", "Plan a three-day trip to Lisbon for a family with two children."),
    problem("5", "science", FRENCH),
]
RUNAWAY = " ".join(["the same twenty words over and over again so that the n-gram rule sees a runaway loop"] * 12)


def teacher_rows() -> list[dict[str, Any]]:
    by_key = {row["row_key"]: row for row in PROBLEMS}
    rows = [
        teacher_row(by_key["2"], 1, "So $3+4=\\boxed{7}$."),
        teacher_row(by_key["2"], 2, "So $3+4=\\boxed{8}$."),  # mismatch; the judge says not equivalent
        teacher_row(by_key["2"], 3, "So it is \\boxed{\\text{seven}}."),  # mismatch the judge overturns
        teacher_row(by_key["2"], 4, None),  # no <answer>
        teacher_row(by_key["3"], 5, "```python\na, b = map(int, input().split())\nprint(a - b)\n```"),
        teacher_row(by_key["4"], 6, "Day 1: the castle. Day 2: the aquarium. Day 3: Belem and pastries."),
        teacher_row(by_key["5"], 7, "Light scatters off air molecules, and blue light scatters much more than red."),
        teacher_row(by_key["2"], 9, f"{RUNAWAY} \\boxed{{7}}"),
    ]
    # a reasoning-parser response: the think part came back in its own field, not in the text
    parsed = teacher_row(by_key["2"], 8, "\\boxed{7}")
    parsed.update(
        text="<answer>\n\\boxed{7}\n</answer>", reasoning="Three plus four is seven.", split_method="reasoning_field"
    )
    return [*rows, parsed]


def judge_reply(body: dict[str, Any]) -> str:
    """The stub judge: trips get full marks, other rubric requests low ones; `seven` is equivalent to 7."""
    content = body["messages"][-1]["content"]
    if "equivalent" in body["messages"][0]["content"]:
        return json.dumps({"equivalent": "seven" in content, "rationale": "stub"})
    points = 4 if "Day 1" in content else 1
    return json.dumps({"correctness": points, "helpfulness": points, "coherence": points, "rationale": "stub"})


@pytest.fixture(scope="module")
def verified(tmp_path_factory) -> Iterator[tuple[LakehouseResource, JudgeResource, list[dict[str, Any]]]]:
    lakehouse = LakehouseResource(root=str(tmp_path_factory.mktemp("lakehouse")))
    curated = pa.RecordBatch.from_pylist(PROBLEMS, schema=NORMALIZED_PROBLEMS.schema)
    lakehouse.replace_partition(
        "curated_problems", [curated], NORMALIZED_PROBLEMS.schema, {"source": SOURCE}, ["source"]
    )
    responses = pa.RecordBatch.from_pylist(teacher_rows(), schema=TEACHER_RESPONSES.schema)
    lakehouse.append(TEACHER_RESPONSES.name, [responses], TEACHER_RESPONSES.schema, ["source"])
    sandbox = SandboxResource(workers=1)
    with judge_stub([(200, "")], respond=judge_reply) as (url, _), MathVerifierPool(workers=1) as pool:
        judge = JudgeResource(base_url=url, model="stub-judge", request_attempts=2, request_timeout_s=10)
        try:
            stage = VerifyStage(lakehouse, SOURCE, sandbox, judge, pool)
            lakehouse.append(RESPONSE_VERDICTS.name, stage.batches(), RESPONSE_VERDICTS.schema, ["source"])
        finally:
            sandbox.close()
        rows = lakehouse.read(RESPONSE_VERDICTS.name).to_pylist()
        yield lakehouse, judge, rows


def comparable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every column but the duration, in key order."""
    kept = [{k: v for k, v in row.items() if k != "duration_s"} for row in rows]
    return sorted(kept, key=lambda row: (row["response_id"], row["verifier"], row["verifier_version"]))


def current_verdicts() -> dict[str, list[dict[str, str]]]:
    configurations = {
        "default": Acceptance(JudgeResource()),
        "rubric_judge": Acceptance(JudgeResource(base_url="http://127.0.0.1:9/v1", model="stub-judge")),
        "reward_model": Acceptance(JudgeResource(base_url="http://127.0.0.1:9/v1", mode="reward", model="rm")),
        "no_language_rule": Acceptance(JudgeResource(), RuleSettings(check_language=False)),
    }
    return {name: acceptance.current_verdicts() for name, acceptance in configurations.items()}


def observed(lakehouse: LakehouseResource, judge: JudgeResource, rows: list[dict[str, Any]]) -> dict[str, Any]:
    acceptance = Acceptance(judge)
    assessments = {
        candidate.response_id: {
            "status": verdict.status,
            "decided_by": sorted(verdict.decided_by),
            "failed": list(verdict.failed),
            "missing": list(verdict.missing),
            "required": acceptance.required(candidate),
        }
        for candidate, verdict in assess_source(lakehouse, SOURCE, acceptance)
    }
    return {"verdict_rows": comparable(rows), "current_verdicts": current_verdicts(), "acceptance": assessments}


def test_verdicts_versions_and_acceptance_are_unchanged(verified):
    got = json.loads(json.dumps(observed(*verified), sort_keys=True))
    if os.environ.get("AMD_UPDATE_PINNED"):
        PINNED.parent.mkdir(exist_ok=True)
        PINNED.write_text(json.dumps(got, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    pinned = json.loads(PINNED.read_text())
    assert got["current_verdicts"] == pinned["current_verdicts"]
    assert got["acceptance"] == pinned["acceptance"]
    assert len(got["verdict_rows"]) == len(pinned["verdict_rows"])
    for row, expected in zip(got["verdict_rows"], pinned["verdict_rows"], strict=True):
        assert row == expected
    # the set covers every verifier, and the verdicts that matter for it
    verdicts = {(row["verifier"], row["verdict"]) for row in got["verdict_rows"]}
    assert {
        ("math_judge", "pass"),
        ("math_judge", "fail"),
        ("judge_rubric", "pass"),
        ("judge_rubric", "fail"),
    } <= verdicts
    assert {("code_sandbox", "pass"), ("code_sandbox", "wrong_answer"), ("math_verify", "no_answer")} <= verdicts
    assert {("rule_language", "fail"), ("rule_repetition", "fail"), ("rule_format", "fail")} <= verdicts
