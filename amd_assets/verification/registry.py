"""The verifier registry: every verifier declared once, and the one place that knows which ones exist.

The verification stage (what to run on which response, what is already stored), acceptance (what must pass,
which versions count, which second opinions can overturn a verdict), the current versions of the release
manifest and the `current_versions` view (`Acceptance.current_verdicts`), and the audits (each verification run
records the versions it judged with in `verifier_versions`, which orders the versions the dbt model
`verifier_version_changes` compares) all read this registry.

How to add a verifier
---------------------
Write one module in `amd_assets/verification/verifiers/` that defines `VERIFIERS = (Verifier(...),)`; it is
discovered from there, nothing else changes. A `Verifier` declares:

- `name`: the `verifier` column of `response_verdicts`. Never rename one, never reuse a name for other logic.
- `version(settings, origin)`: the `verifier_version`. Change it whenever a verdict could change (code, model,
  prompt, threshold; a settings hash like the rules' is the easy way): stored verdicts of other versions then
  stop counting, the stage judges every response again under the new one, and the old rows stay for the audit.
- which responses it judges: `kinds` of problem (`tests`: has test cases, `reference`: has a reference answer and
  no tests, `open`: neither), `origins` (`existing` traces, `teacher` responses), optionally `categories`
  (curated category, e.g. `("science",)`), and `enabled(settings)` (e.g. only in the judge's reward mode);
- its `role`: `rule` (must pass on every response it applies to), `category` (decides correctness; its score
  ranks accepted responses; exactly one applies to a response, one restricted to `categories` before a general
  one) or `second_opinion` (looks again at another verifier's `reviews=(verifier, verdict)` verdicts, e.g. the
  judge on math-verify's `mismatch`, and overturns them when it passes);
- `run(candidates, tools)`: one `Judgement` per candidate, in order, or None for "no verdict now, ask again next
  run" (a judge that did not answer). It gets whole chunks: batch the expensive work (worker pools, requests).

`verifiers/math_judge.py` is a short example. Then add responses that exercise it to
`tests/verification/test_verdict_stability.py` (regenerate its pinned file) and a test of its verdicts.

Rows of a new verifier are computed for every stored response on the next `response_verdicts` run of each
source; nothing else is re-verified. A new rule or category verifier is required at once: until that run, the
responses it applies to are pending (not accepted, not rejected), and so are they after a version bump.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.rules import RuleSettings

if TYPE_CHECKING:
    from amd_assets.verification.math.verdict import MathVerdict
    from resources.sandbox import SandboxResource

Role = Literal["rule", "category", "second_opinion"]
ROLES: tuple[Role, ...] = ("rule", "category", "second_opinion")
KINDS = ("tests", "reference", "open")
ORIGINS = ("existing", "teacher")
VERIFIERS_PACKAGE = "amd_assets.verification.verifiers"


def problem_kind(candidate: Candidate) -> str:
    """Tests beat a reference answer, a reference answer beats nothing."""
    if candidate.test_cases:
        return "tests"
    return "reference" if candidate.reference_answer else "open"


@dataclass(frozen=True)
class VerifierSettings:
    """The configuration that versions and applicability depend on."""

    judge: JudgeResource
    rules: RuleSettings = field(default_factory=RuleSettings)


class MathPool(Protocol):
    """What runs math-verify for a run: a `MathVerifierPool`, or the run's lazily started one (`math.leases`)."""

    def verify_many(self, pairs: Iterable[tuple[str, str]]) -> Iterator[MathVerdict]: ...


@dataclass(frozen=True)
class Tools:
    """What running verifiers needs: their settings, and the workers of this run."""

    settings: VerifierSettings
    sandbox: SandboxResource | None = None
    math_pool: MathPool | None = None


@dataclass(frozen=True)
class Judgement:
    """One verifier's verdict on one response (a `response_verdicts` row without its keys)."""

    verdict: str
    passed: bool
    reason: str
    detail: dict[str, Any]
    score: float | None
    duration_s: float


def always(settings: VerifierSettings) -> bool:
    return True


Run = Callable[[Sequence[Candidate], Tools], Sequence[Judgement | None]]


@dataclass(frozen=True)
class Verifier:
    """One verifier's declaration (see the module docstring)."""

    name: str
    role: Role
    version: Callable[[VerifierSettings, str], str]
    run: Run
    kinds: tuple[str, ...] = KINDS
    origins: tuple[str, ...] = ORIGINS
    categories: tuple[str, ...] | None = None
    enabled: Callable[[VerifierSettings], bool] = always
    reviews: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES or not set(self.kinds) <= set(KINDS) or not set(self.origins) <= set(ORIGINS):
            raise ValueError(f"verifier {self.name}: role, kinds or origins outside {ROLES}, {KINDS}, {ORIGINS}")
        if (self.role == "second_opinion") != (self.reviews is not None):
            raise ValueError(f"verifier {self.name}: a second opinion names what it reviews, nothing else does")

    def applies(self, candidate: Candidate, settings: VerifierSettings) -> bool:
        return (
            self.enabled(settings)
            and candidate.origin in self.origins
            and problem_kind(candidate) in self.kinds
            and (self.categories is None or candidate.category in self.categories)
        )


class VerifierRegistry:
    """The verifiers in order: rules, then category verifiers, then second opinions (declaration order within)."""

    def __init__(self, verifiers: Sequence[Verifier]) -> None:
        names = [verifier.name for verifier in verifiers]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"verifier names declared twice: {duplicated}")
        for verifier in verifiers:
            if verifier.reviews is not None and verifier.reviews[0] not in names:
                raise ValueError(f"{verifier.name} reviews {verifier.reviews[0]}, which is not registered")
        self.verifiers = tuple(sorted(verifiers, key=lambda verifier: ROLES.index(verifier.role)))

    def names(self) -> list[str]:
        return [verifier.name for verifier in self.verifiers]

    def get(self, name: str) -> Verifier:
        return next(verifier for verifier in self.verifiers if verifier.name == name)

    def second_opinions(self) -> list[Verifier]:
        return [verifier for verifier in self.verifiers if verifier.role == "second_opinion"]

    def reviewers_of(self, name: str) -> list[Verifier]:
        return [verifier for verifier in self.second_opinions() if verifier.reviews and verifier.reviews[0] == name]

    def category_verifier(self, candidate: Candidate, settings: VerifierSettings) -> Verifier:
        """The verifier that decides whether the response is correct."""
        applying = [v for v in self.verifiers if v.role == "category" and v.applies(candidate, settings)]
        specific = [verifier for verifier in applying if verifier.categories is not None]
        chosen = specific or applying
        if len(chosen) != 1:
            found = [verifier.name for verifier in chosen]
            raise ValueError(f"{len(chosen)} category verifiers for a {problem_kind(candidate)} problem: {found}")
        return chosen[0]

    def required(self, candidate: Candidate, settings: VerifierSettings) -> list[Verifier]:
        """What must pass the response: every rule that applies, then its category verifier."""
        rules = [v for v in self.verifiers if v.role == "rule" and v.applies(candidate, settings)]
        return [*rules, self.category_verifier(candidate, settings)]

    def current(self, settings: VerifierSettings) -> set[tuple[str, str, str]]:
        """(origin, verifier, version) of every verdict that can count under these settings."""
        return {
            (origin, verifier.name, verifier.version(settings, origin))
            for verifier in self.verifiers
            if verifier.enabled(settings)
            for origin in verifier.origins
        }


Requirement = tuple[Verifier, str]  # a verifier and its current version


class Plans:
    """What the registry requires under fixed settings, computed once per (origin, problem kind, category), which
    is all applicability depends on, instead of once per response (versions hash settings)."""

    def __init__(self, registry: VerifierRegistry, settings: VerifierSettings) -> None:
        self.registry = registry
        self.settings = settings
        self._required: dict[tuple[str, str, str], tuple[Requirement, ...]] = {}

    def required(self, candidate: Candidate) -> tuple[Requirement, ...]:
        """Every rule that applies, then the category verifier (always last), with their current versions."""
        key = (candidate.origin, problem_kind(candidate), candidate.category)
        found = self._required.get(key)
        if found is None:
            verifiers = self.registry.required(candidate, self.settings)
            found = tuple((verifier, verifier.version(self.settings, candidate.origin)) for verifier in verifiers)
            self._required[key] = found
        return found


def discover(package: str = VERIFIERS_PACKAGE) -> VerifierRegistry:
    """Every `VERIFIERS` of the package's modules, modules in name order."""
    found: list[Verifier] = []
    module = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda info: info.name):
        found.extend(getattr(importlib.import_module(f"{package}.{info.name}"), "VERIFIERS", ()))
    return VerifierRegistry(found)


@cache
def default_registry() -> VerifierRegistry:
    return discover()
