"""The code sandbox: the answer's last fenced program runs against the problem's tests, which it must all pass.

Decides problems with test cases. Bump the version when test running or judging changes verdicts
(resources/sandbox: comparison, limits, verdict mapping).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.code_verifier import extract_program
from amd_assets.verification.registry import Judgement, Tools, Verifier, VerifierSettings

CODE_VERIFIER = "code_sandbox"
CODE_VERIFIER_VERSION = "1"


def version(settings: VerifierSettings, origin: str) -> str:
    return CODE_VERIFIER_VERSION


def program(candidate: Candidate) -> str:
    language = json.loads(candidate.test_cases or "{}").get("language", "python")
    return extract_program(candidate.answer, language) or ""


def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
    if tools.sandbox is None:
        raise ValueError("code_sandbox needs a sandbox: none was given")
    # kinds=("tests",): every candidate here has test cases
    programs = [(program(candidate), candidate.test_cases or "") for candidate in candidates]
    judgements: list[Judgement | None] = [None] * len(programs)
    for index, verdict in tools.sandbox.verify_many(programs, ordered=True):
        reason = verdict.reason if programs[index][0] else "no fenced program in the answer"
        detail = {"n_tests": verdict.n_tests, "failed_test": verdict.failed_test}
        judgements[index] = Judgement(
            verdict.verdict.value, verdict.passed, reason, detail, verdict.pass_rate, verdict.wall_time_s
        )
    return judgements


VERIFIERS = (Verifier(CODE_VERIFIER, "category", version, run, kinds=("tests",)),)
