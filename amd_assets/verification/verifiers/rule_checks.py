"""The rule verifiers every response must pass: format, runaway repetition, length bounds, language consistency.

The checks themselves are in `amd_assets/verification/rules.py`. Each rule's version hashes the settings it
reads, and existing traces are judged without `require_think` (human solutions and reference programs often
carry no reasoning; only teacher responses must think, as the release format expects from them), so a rule
reading `require_think` has one version per origin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import lru_cache

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.registry import Judgement, Tools, Verifier, VerifierSettings, always
from amd_assets.verification.rules import (
    RuleSettings,
    RuleVerdict,
    check_format,
    check_language,
    check_length,
    check_repetition,
    verifier_version,
)

Check = Callable[[Candidate, RuleSettings], RuleVerdict]


@lru_cache(maxsize=64)
def rule_settings(origin: str, base: RuleSettings) -> RuleSettings:
    return base.model_copy(update={"require_think": base.require_think and origin == "teacher"})


def rule(name: str, check: Check, enabled: Callable[[VerifierSettings], bool] = always) -> Verifier:
    def version(settings: VerifierSettings, origin: str) -> str:
        return verifier_version(name, rule_settings(origin, settings.rules))

    def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
        judgements: list[Judgement | None] = []
        settings = {origin: rule_settings(origin, tools.settings.rules) for origin in {c.origin for c in candidates}}
        for candidate in candidates:
            started = time.perf_counter()
            verdict = check(candidate, settings[candidate.origin])
            elapsed = time.perf_counter() - started
            judgements.append(Judgement(verdict.verdict, verdict.passed, verdict.reason, verdict.detail, None, elapsed))
        return judgements

    return Verifier(name, "rule", version, run, enabled=enabled)


def language_checked(settings: VerifierSettings) -> bool:
    return settings.rules.check_language


VERIFIERS = (
    rule("rule_format", lambda candidate, settings: check_format(candidate.text, settings)),
    rule("rule_repetition", lambda candidate, settings: check_repetition(candidate.text, settings)),
    rule("rule_length", lambda candidate, settings: check_length(candidate.text, settings)),
    rule(
        "rule_language",
        lambda candidate, settings: check_language(candidate.prompt, candidate.text, settings),
        enabled=language_checked,
    ),
)
