"""The judge's second opinion on math-verify's mismatches: are the final answer and the reference equivalent?

Asked only with a judge configured and `math_second_opinion` on; its verdict, when it passes, overturns the
mismatch (a number written in words, a form math-verify cannot parse). Counted whenever stored under the
current version, so switching the second opinion off does not undo accepted responses.
"""

from __future__ import annotations

from collections.abc import Sequence

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import MATH_JUDGE, MathJudgeItem
from amd_assets.verification.math.verdict import MATH_VERIFIER
from amd_assets.verification.registry import Judgement, Tools, Verifier, VerifierSettings
from amd_assets.verification.verifiers.llm_judge import judgement


def version(settings: VerifierSettings, origin: str) -> str:
    return settings.judge.math_judge_version


def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
    judge = tools.settings.judge
    if not judge.second_opinion:
        return [None] * len(candidates)
    items = [MathJudgeItem(c.prompt, c.reference_answer or "", c.answer) for c in candidates]
    return [judgement(verdict) for verdict in judge.compare_answers(items)]


VERIFIERS = (
    Verifier(MATH_JUDGE, "second_opinion", version, run, kinds=("reference",), reviews=(MATH_VERIFIER, "mismatch")),
)
