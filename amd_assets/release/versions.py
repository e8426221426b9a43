"""The verifier versions that count today, per response origin: the acceptance rule of the verification stage."""

from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import MATH_JUDGE, JudgeResource
from amd_assets.verification.rules import RuleSettings

ORIGINS = ("existing", "teacher")
# One stand-in per category verifier: tests → code sandbox, a reference answer → math-verify, else the judge.
KINDS = {"code": ('{"kind":"assert"}', None), "math": (None, "1"), "general": (None, None)}


def current_versions(judge: JudgeResource, rules: RuleSettings | None = None) -> list[dict[str, str]]:
    """Rows (origin, verifier, verifier_version): every verifier version a response of that origin can need,
    plus the math judge's second opinion (it can overturn a math-verify mismatch)."""
    acceptance = Acceptance(judge, rules or RuleSettings())
    found: set[tuple[str, str, str]] = set()
    for origin in ORIGINS:
        found.add((origin, MATH_JUDGE, judge.math_judge_version))
        for category, (tests, reference) in KINDS.items():
            candidate = Candidate("", "", "", "", 1, origin, category, "", reference, tests, None, "")
            found.update((origin, name, version) for name, version in acceptance.required(candidate).items())
    return [{"origin": o, "verifier": v, "verifier_version": ver} for o, v, ver in sorted(found)]
