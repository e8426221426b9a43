"""The math verifier against math-verify's own test cases (data/fidelity, Apache-2.0): the project must agree with
the expected outcome at least as often as bare math-verify (`verify(parse(gold), parse(pred))`, defaults), and
the plain answers people write must pass. Prints the agreement table (`pytest -s` shows it)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

from amd_assets.verification.math.pool import MathVerifierPool
from amd_assets.verification.math.verdict import extract_answer, verify_in_process

CASES = Path(__file__).resolve().parents[2] / "data" / "fidelity" / "math_verify_cases.jsonl"
# Plain final answers, each with its reference: math-verify reads them all; boxing them made letters of words.
PLAIN = [
    ("42.", "42"),
    ("-42.", "-42"),
    ("0.75.", "0.75"),
    ("1,000.", "1000"),
    ("**42**", "42"),
    ("42;", "42"),
    ("Answer: 42", "42"),
    ("42 (degrees)", "42"),
    ("1 000", "1000"),
]


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    with open(CASES, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def pool():
    with MathVerifierPool(workers=2, timeout_s=20.0) as running:
        yield running


def _bare(gold: str, pred: str) -> bool:
    from math_verify import parse, verify

    return bool(verify(parse(gold), parse(pred)))


def test_upstream_cases_agree_at_least_as_often_as_bare_math_verify(cases, pool) -> None:
    ours = [v.verdict == "pass" for v in pool.verify_many((c["pred"], c["gold"]) for c in cases)]
    table: Counter[tuple[str, str]] = Counter()
    for case, project in zip(cases, ours, strict=True):
        expected = bool(case["expected"])
        table[(case["file"], "cases")] += 1
        table[(case["file"], "bare")] += _bare(case["gold"], case["pred"]) == expected
        table[(case["file"], "project")] += project == expected
    files = sorted({file for file, _ in table})
    print(f"\n{'file':28} {'cases':>6} {'bare':>6} {'project':>8}")
    for file in [*files, "total"]:
        row = [
            sum(table[(f, k)] for f in files) if file == "total" else table[(file, k)]
            for k in ("cases", "bare", "project")
        ]
        print(f"{file:28} {row[0]:>6} {row[1]:>6} {row[2]:>8}")
    bare = sum(table[(f, "bare")] for f in files)
    project = sum(table[(f, "project")] for f in files)
    assert len(cases) >= 270
    assert project >= bare, (project, bare)


@pytest.mark.parametrize(("answer", "reference"), PLAIN)
def test_plain_answers_pass_and_wrong_ones_do_not(answer: str, reference: str) -> None:
    response = f"<think>\nwork\n</think>\n<answer>{answer}</answer>"
    assert verify_in_process(response, reference).verdict == "pass"
    assert (
        verify_in_process(response, str(int(reference) + 1) if reference.lstrip("-").isdigit() else "7").verdict
        == "mismatch"
    )


@pytest.mark.parametrize(
    ("response", "reference", "verdict"),
    [
        (r"so \boxed{(2,2)} \text{ and } \boxed{(6,2)}", "(2,2),(6,2)", "pass"),  # multi-part reference, several boxes
        (r"\boxed{1} and \boxed{2} and \boxed{3}", r"\{1,2,3\}", "pass"),
        (r"\boxed{(2,2)} \text{ and } \boxed{(6,3)}", "(2,2),(6,2)", "mismatch"),  # one part wrong
        (r"first \boxed{3}, no wait: \boxed{4}", "3", "mismatch"),  # a corrected answer: the last box decides
        (r"first \boxed{4}, no wait: \boxed{3}", "3", "pass"),
        ("Answer\n\\[\n9\n\\]", "9", "pass"),  # display math on the last lines, no box
        ("Answer\n$$ 9 $$", "9", "pass"),
        (r"\boxed{\left\{ 1, 2 \right\}}", r"\{1,2\}", "pass"),  # escaped braces are not groups
        ("<answer>2\\pi</answer>", "2", "mismatch"),  # a formula is not read as its leading number
        ("<answer>3, 5</answer>", "5", "mismatch"),
    ],
)
def test_multi_part_display_math_and_formulas(response: str, reference: str, verdict: str) -> None:
    assert verify_in_process(response, reference).verdict == verdict


def test_hostile_extraction_is_linear_and_under_the_deadline() -> None:
    hostile = "\\boxed{" * 40_000 + "x" * 40_000  # 320 KB of unclosed boxes
    started = time.perf_counter()
    extract_answer(hostile)
    assert time.perf_counter() - started < 0.5  # was quadratic: no verdict in 30 s
    with MathVerifierPool(workers=1, timeout_s=2.0) as short:
        verdict = short.verify(hostile, "1")  # extraction and parsing both run under the worker's deadline
    assert verdict.verdict in ("no_answer", "parse_error", "mismatch", "timeout")
    assert verdict.duration_s < short.wall_backstop_s + 1.0
