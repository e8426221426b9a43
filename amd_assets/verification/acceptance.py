"""Whether a response is accepted: the one rule distillation, generation and the release gates share.

A response is **accepted** when every verifier the registry requires of it (every rule, and its category's
verifier) passed it under the CURRENT verifier versions (rows of older versions stay in `response_verdicts` for
audit but do not count). A verdict a second opinion reviews is overturned when that second opinion (current
version) passes it: the LLM judge (`math_judge`) saying a math-verify `mismatch` is equivalent after all. It is
**rejected** when a required verifier failed under its current version and no second opinion overturns it.
Otherwise it is **pending**: a verdict is missing (or only an older run's `unverified` placeholder: no judge
configured) — waiting for a judge is not a failure, so generation does not pay for another sample because of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.verification.candidates import Candidate, candidates
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.registry import Plans, VerifierRegistry, VerifierSettings, default_registry
from amd_assets.verification.rules import RuleSettings
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource

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
    registry: VerifierRegistry = field(default_factory=default_registry)

    @cached_property
    def settings(self) -> VerifierSettings:
        return VerifierSettings(self.judge, self.rules)

    @cached_property
    def plans(self) -> Plans:
        return Plans(self.registry, self.settings)

    def required(self, candidate: Candidate) -> dict[str, str]:
        """The verifiers (and their current versions) that must all pass this response: rules, then its category's."""
        return {verifier.name: version for verifier, version in self.plans.required(candidate)}

    def category_verifier(self, candidate: Candidate) -> str:
        return self.plans.required(candidate)[-1][0].name

    def current_verdicts(self) -> list[dict[str, str]]:
        """(origin, verifier, verifier_version) of every verdict that can count today, per response origin,
        second opinions included (they can overturn a verdict)."""
        found = sorted(self.registry.current(self.settings))
        return [{"origin": o, "verifier": v, "verifier_version": ver} for o, v, ver in found]

    def current_versions(self) -> set[str]:
        """Every version string a current verdict can carry (to skip old rows before they become Python objects)."""
        return {row["verifier_version"] for row in self.current_verdicts()}

    def assess(self, candidate: Candidate, stored: dict[tuple[str, str], Outcome]) -> Assessment:
        decided: dict[str, tuple[str, Outcome]] = {}
        failed: list[str] = []
        missing: list[str] = []
        for verifier, version in self.plans.required(candidate):
            name = verifier.name
            outcome = self._reviewed(name, stored.get((name, version)), candidate, stored, decided)
            if outcome is None or outcome.verdict == "unverified":
                missing.append(name)
                continue
            decided[name] = (version, outcome)
            if not outcome.passed:
                failed.append(name)
        category = decided.get(self.category_verifier(candidate))
        score = category[1].score if category else None
        status = REJECTED if failed else PENDING if missing else ACCEPTED
        return Assessment(status, decided, tuple(failed), tuple(missing), score)

    def _reviewed(
        self,
        name: str,
        outcome: Outcome | None,
        candidate: Candidate,
        stored: dict[tuple[str, str], Outcome],
        decided: dict[str, tuple[str, Outcome]],
    ) -> Outcome | None:
        """The verdict after its second opinions: one that reviews this verdict and passes overturns it."""
        for reviewer in self.registry.reviewers_of(name):
            if outcome is None or reviewer.reviews is None or outcome.verdict != reviewer.reviews[1]:
                continue
            version = reviewer.version(self.settings, candidate.origin)
            second = stored.get((reviewer.name, version))
            if second is not None and second.verdict != "unverified":
                decided[reviewer.name] = (version, second)
                if second.passed:
                    outcome = Outcome(True, second.score, outcome.verdict)
        return outcome


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
            verdicts = found[row["response_id"]]
            key = (row["verifier"], row["verifier_version"])
            # an `unverified` placeholder of an older run never hides the judge's later verdict
            if outcome.verdict != "unverified" or key not in verdicts:
                verdicts[key] = outcome
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
