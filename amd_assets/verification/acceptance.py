"""Whether a response is accepted: the one rule distillation, generation and the release gates share.

A response is **accepted** when every rule and its category's verifier passed it under the CURRENT verifier
versions (rows of older versions stay in `response_verdicts` for audit but do not count). For math, a
math-verify `mismatch` is overturned when the LLM judge's second opinion (`math_judge`, current version) says
the answers are equivalent. It is **rejected** when a required verifier failed under its current version and
no second opinion overturns it. Otherwise it is **pending**: a verdict is missing, or only `unverified` (no judge
configured) — waiting for a judge is not a failure, so generation does not pay for another sample because of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.verification.candidates import Candidate, candidates
from amd_assets.verification.judge import MATH_JUDGE, JudgeResource
from amd_assets.verification.math_verifier import MATH_VERIFIER, MATH_VERIFIER_VERSION
from amd_assets.verification.rules import RuleSettings, verifier_version
from amd_assets.verification.stage import CODE_VERIFIER, CODE_VERIFIER_VERSION, category_verifier, rule_settings
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource

RULES = ("rule_format", "rule_repetition", "rule_length", "rule_language")
ORIGINS = ("existing", "teacher")
# One stand-in problem per category verifier (tests, reference answer): code sandbox, math-verify, the judge.
STAND_INS = (('{"kind":"assert"}', None), (None, "1"), (None, None))
ACCEPTED, REJECTED, PENDING = "accepted", "rejected", "pending"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    score: float | None
    verdict: str


# response_id → {(verifier, verifier_version): outcome}
StoredVerdicts = dict[str, dict[tuple[str, str], Outcome]]


@dataclass(frozen=True)
class Assessment:
    status: str  # accepted | rejected | pending
    # Every verdict that decided it, current versions only: verifier → (version, outcome).
    decided_by: dict[str, tuple[str, Outcome]] = field(default_factory=dict)
    failed: tuple[str, ...] = ()  # verifiers that failed it
    missing: tuple[str, ...] = ()  # verifiers without a verdict yet (or `unverified`)
    score: float | None = None  # the category verifier's score

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED


@dataclass(frozen=True)
class Acceptance:
    judge: JudgeResource
    rules: RuleSettings = field(default_factory=RuleSettings)

    def required(self, candidate: Candidate) -> dict[str, str]:
        """The verifiers (and their current versions) that must all pass this response."""
        settings = rule_settings(candidate, self.rules)
        names = [name for name in RULES if name != "rule_language" or settings.check_language]
        wanted = {name: verifier_version(name, settings) for name in names}
        verifier = category_verifier(candidate, self.judge)
        current = {MATH_VERIFIER: MATH_VERIFIER_VERSION, CODE_VERIFIER: CODE_VERIFIER_VERSION}
        wanted[verifier] = current.get(verifier, self.judge.verifier_version)
        return wanted

    def current_verdicts(self) -> list[dict[str, str]]:
        """(origin, verifier, verifier_version) of every verdict that can count today, per response origin,
        including the math judge's second opinion (it can overturn a math-verify mismatch)."""
        found: set[tuple[str, str, str]] = set()
        for origin in ORIGINS:
            found.add((origin, MATH_JUDGE, self.judge.math_judge_version))
            for tests, reference in STAND_INS:
                candidate = Candidate("", "", "", "", 1, origin, "", "", reference, tests, None, "")
                found.update((origin, name, version) for name, version in self.required(candidate).items())
        return [{"origin": o, "verifier": v, "verifier_version": ver} for o, v, ver in sorted(found)]

    def current_versions(self) -> set[str]:
        """Every version string a current verdict can carry (to skip old rows before they become Python objects)."""
        return {row["verifier_version"] for row in self.current_verdicts()}

    def assess(self, candidate: Candidate, stored: dict[tuple[str, str], Outcome]) -> Assessment:
        decided: dict[str, tuple[str, Outcome]] = {}
        failed: list[str] = []
        missing: list[str] = []
        for name, version in self.required(candidate).items():
            outcome = stored.get((name, version))
            if outcome is not None and name == MATH_VERIFIER and outcome.verdict == "mismatch":
                second = stored.get((MATH_JUDGE, self.judge.math_judge_version))
                if second is not None and second.verdict != "unverified":
                    decided[MATH_JUDGE] = (self.judge.math_judge_version, second)
                    if second.passed:
                        outcome = Outcome(True, second.score, outcome.verdict)
            if outcome is None or outcome.verdict == "unverified":
                missing.append(name)
                continue
            decided[name] = (version, outcome)
            if not outcome.passed:
                failed.append(name)
        category = decided.get(category_verifier(candidate, self.judge))
        score = category[1].score if category else None
        status = REJECTED if failed else PENDING if missing else ACCEPTED
        return Assessment(status, decided, tuple(failed), tuple(missing), score)


def read_verdicts(lakehouse: LakehouseResource, source: str, acceptance: Acceptance) -> StoredVerdicts:
    """The source's verdicts under current versions, per response."""
    found: StoredVerdicts = defaultdict(dict)
    if not lakehouse.exists(RESPONSE_VERDICTS.name):
        return found
    columns = ["response_id", "verifier", "verifier_version", "passed", "score", "verdict"]
    current = (ds.field("source") == source) & pc.field("verifier_version").isin(sorted(acceptance.current_versions()))
    for batch in lakehouse.scan(RESPONSE_VERDICTS.name, columns=columns, filter=current):
        for row in batch.to_pylist():
            outcome = Outcome(row["passed"], row["score"], row["verdict"])
            found[row["response_id"]][(row["verifier"], row["verifier_version"])] = outcome
    return found


def assess_source(
    lakehouse: LakehouseResource, source: str, acceptance: Acceptance
) -> Iterator[tuple[Candidate, Assessment]]:
    """Every candidate response of the source (existing traces and teacher responses) with its assessment."""
    stored = read_verdicts(lakehouse, source, acceptance)
    for candidate in candidates(lakehouse, source):
        yield candidate, acceptance.assess(candidate, stored.get(candidate.response_id, {}))


def accepted_response_ids(
    lakehouse: LakehouseResource, source: str, judge: JudgeResource, rules: RuleSettings | None = None
) -> set[str]:
    """The response ids of the source accepted under the current verifier versions."""
    acceptance = Acceptance(judge, rules or RuleSettings())
    return {c.response_id for c, verdict in assess_source(lakehouse, source, acceptance) if verdict.accepted}
