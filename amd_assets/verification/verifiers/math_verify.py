"""math-verify against the reference answer: decides problems with a reference answer and no tests.

Extraction and math-verify run in the run's math pool (`math.leases`: worker processes under a CPU-time deadline,
started when a run first needs them);
name and version are defined next to that code (`math/verdict.py`), whose changes bump the version.
"""

from __future__ import annotations

from collections.abc import Sequence

from amd_assets.verification.candidates import Candidate
from amd_assets.verification.math.verdict import MATH_VERIFIER, MATH_VERIFIER_VERSION
from amd_assets.verification.registry import Judgement, Tools, Verifier, VerifierSettings


def version(settings: VerifierSettings, origin: str) -> str:
    return MATH_VERIFIER_VERSION


def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
    if tools.math_pool is None:
        raise ValueError("math_verify runs in a math pool (math.leases.lease_math_pool): none was given")
    pairs = ((candidate.text, candidate.reference_answer or "") for candidate in candidates)
    return [
        Judgement(
            verdict.verdict,
            verdict.verdict == "pass",
            verdict.reason,
            {"extracted": verdict.extracted, "path": verdict.path},
            1.0 if verdict.verdict == "pass" else 0.0,
            verdict.duration_s,
        )
        for verdict in tools.math_pool.verify_many(pairs)
    ]


VERIFIERS = (Verifier(MATH_VERIFIER, "category", version, run, kinds=("reference",)),)
