"""On real data: all 164 HumanEval canonical solutions pass, and the same solutions with a planted bug fail.

Program = prompt + canonical_solution; test = kind "assert" with code = test + "\\n\\ncheck(<entry_point>)\\n".
The planted bug wraps the entry point so it returns a slightly wrong value of the same type (a bool flipped,
a number off by one, a string or list one element longer...): every test suite must catch it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from resources.sandbox import SandboxResource, Verdict
from tests.sandbox.helpers import planted_bug

HUMANEVAL = Path(__file__).resolve().parents[2] / "data" / "samples" / "humaneval" / "humaneval.jsonl"


def _problems() -> list[dict[str, Any]]:
    with HUMANEVAL.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _tests(problem: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "assert",
        "language": "python",
        "entry_point": problem["entry_point"],
        "setup": None,
        "cases": [{"code": problem["test"] + f"\n\ncheck({problem['entry_point']})\n"}],
    }


@pytest.fixture(scope="module", params=["zygote", "launch"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[SandboxResource]:
    """Default limits (5 s per test): some canonical solutions need ~0.3 s of CPU, too close to the 1 s of
    the hostile suite on a loaded machine."""
    resource = SandboxResource(mode=request.param, workers=2)
    resource.check_available()
    yield resource
    resource.close()


@pytest.fixture(scope="module")
def problems() -> list[dict[str, Any]]:
    rows = _problems()
    assert len(rows) == 164, f"expected the 164 HumanEval problems in {HUMANEVAL}"
    return rows


def test_humaneval_canonical_solutions_pass(sandbox: SandboxResource, problems: list[dict[str, Any]]) -> None:
    samples = [(p["prompt"] + p["canonical_solution"], _tests(p)) for p in problems]
    verdicts = dict(sandbox.verify_many(samples))
    failed = {problems[i]["task_id"]: v.reason for i, v in verdicts.items() if not v.passed}
    assert not failed, failed
    assert all(verdict.tests[0].time_s > 0 for verdict in verdicts.values())


def test_humaneval_planted_bugs_fail(sandbox: SandboxResource, problems: list[dict[str, Any]]) -> None:
    samples = [(p["prompt"] + p["canonical_solution"] + planted_bug(p["entry_point"]), _tests(p)) for p in problems]
    verdicts = dict(sandbox.verify_many(samples))
    survived = [problems[i]["task_id"] for i, v in verdicts.items() if v.passed]
    assert not survived, survived
    # The failure is a judged wrong answer (an assertion), not an infrastructure problem.
    counts = Counter(verdict.verdict for verdict in verdicts.values())
    assert counts[Verdict.SANDBOX_ERROR] == 0 and counts[Verdict.WRONG_ANSWER] >= 150, counts
