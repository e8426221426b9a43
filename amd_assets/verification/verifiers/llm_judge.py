"""The judge of open problems (no tests, no reference answer): a rubric LLM judge or a reward model.

One of the two counts, as the judge resource's `mode` says; both are asked through `JudgeResource`, whose model,
prompt and threshold make the version. A judge that did not answer (`judge_error`), or no judge configured
(`unverified`), stores nothing: the response waits, and is asked again by the next run.
"""

from __future__ import annotations

from collections.abc import Sequence

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import REWARD_VERIFIER, VERIFIER, JudgeItem, JudgeVerdict
from amd_assets.verification.registry import Judgement, Tools, Verifier, VerifierSettings

NO_VERDICT = ("judge_error", "unverified")


def version(settings: VerifierSettings, origin: str) -> str:
    return settings.judge.verifier_version


def judgement(verdict: JudgeVerdict) -> Judgement | None:
    if verdict.verdict in NO_VERDICT:
        return None
    return Judgement(verdict.verdict, verdict.passed, verdict.reason, verdict.detail, verdict.score, verdict.duration_s)


def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
    items = [JudgeItem(prompt=candidate.prompt, answer=candidate.answer) for candidate in candidates]
    return [judgement(verdict) for verdict in tools.settings.judge.judge(items)]


def rubric_mode(settings: VerifierSettings) -> bool:
    return settings.judge.mode != "reward"


def reward_mode(settings: VerifierSettings) -> bool:
    return settings.judge.mode == "reward"


VERIFIERS = (
    Verifier(VERIFIER, "category", version, run, kinds=("open",), enabled=rubric_mode),
    Verifier(REWARD_VERIFIER, "category", version, run, kinds=("open",), enabled=reward_mode),
)
