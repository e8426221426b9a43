"""The code verifier against real problems no one here wrote: MBPP reference solutions pass their tests and
behaviour-changing mutants of them fail; real Codeforces stdin/stdout problems (data/fidelity, from nemo-gym) are
compared as token streams, and a model's accepted solution passes. Everything runs in the real bwrap sandbox.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from resources.sandbox import SandboxResource, Verdict
from resources.sandbox.compare import compare_stdout
from tests.sandbox.helpers import planted_bug

DATA = Path(__file__).resolve().parents[2] / "data"
MBPP = DATA / "samples" / "mbpp" / "mbpp.jsonl"
CODEFORCES = DATA / "fidelity" / "codeforces_stdio.jsonl"
MBPP_PROBLEMS = 60  # the first rows of the shipped sample: enough for the table, cheap enough for the suite


def _read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _entry_point(test: str) -> str:
    return test.removeprefix("assert ").lstrip("(").split("(", 1)[0].strip()


def _mbpp_tests(row: dict) -> dict:
    return {
        "kind": "assert",
        "language": "python",
        "setup": row["test_setup_code"] or None,
        "cases": [{"code": test} for test in row["test_list"]],
    }


@pytest.fixture(scope="module")
def sandbox():
    resource = SandboxResource(workers=2, time_limit_s=5.0, wall_limit_s=20.0, max_tests=100)
    resource.check_available()
    yield resource
    resource.close()


def test_mbpp_references_pass_and_mutants_fail(sandbox: SandboxResource) -> None:
    rows = _read(MBPP)[:MBPP_PROBLEMS]
    samples = [(row["code"], _mbpp_tests(row)) for row in rows]
    samples += [(row["code"] + planted_bug(_entry_point(row["test_list"][0])), _mbpp_tests(row)) for row in rows]
    verdicts = [verdict for _, verdict in sandbox.verify_many(samples, ordered=True)]
    references, mutants = verdicts[: len(rows)], verdicts[len(rows) :]
    print(
        f"\nMBPP ({len(rows)} problems): references {Counter(v.verdict.value for v in references)}, "
        f"mutants {Counter(v.verdict.value for v in mutants)}"
    )
    assert all(v.passed for v in references), [
        (r["task_id"], v.reason) for r, v in zip(rows, references, strict=True) if not v.passed
    ]
    assert not any(v.passed for v in mutants)


def test_codeforces_outputs_compare_as_token_streams() -> None:
    """Expected outputs of real contest problems, re-spread over lines (one token per line, or all on one
    line): the same answer to a token-stream checker, as contest judges compare."""
    rows = _read(CODEFORCES)
    outputs = [output for row in rows for output in row["outputs"]]
    one_line = sum(output.strip().count("\n") == 0 for output in outputs)
    print(f"\nCodeforces: {len(outputs)} expected outputs, {one_line} on a single line")
    for output in outputs:
        assert compare_stdout(output, "\n".join(output.split()) + "\n") is None
        assert compare_stdout(output, " ".join(output.split())) is None
        if output.split():
            assert compare_stdout(output, " ".join(output.split()[:-1])) is not None


def test_codeforces_rollouts_in_the_sandbox(sandbox: SandboxResource) -> None:
    """A model's programs for the real problems: the one nemo-gym's checker accepted passes here too; the table
    shows where a token-stream judge and nemo-gym's line-based checker differ."""
    rows = _read(CODEFORCES)
    samples = [
        (
            row["rollout_program"],
            {
                "kind": "stdio",
                "cases": [{"input": i, "output": o} for i, o in zip(row["inputs"], row["outputs"], strict=True)],
            },
        )
        for row in rows
    ]
    verdicts = [verdict for _, verdict in sandbox.verify_many(samples, ordered=True)]
    print("\nhash_id   tests  nemo-gym reward  sandbox verdict")
    for row, verdict in zip(rows, verdicts, strict=True):
        print(f"{row['hash_id'][:8]}  {len(row['inputs']):>5}  {row['rollout_reward']:>15}  {verdict.verdict.value}")
    for row, verdict in zip(rows, verdicts, strict=True):
        if row["rollout_reward"] == 1.0:
            assert verdict.passed, verdict
        assert verdict.verdict is not Verdict.SANDBOX_ERROR, verdict
