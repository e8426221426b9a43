"""One (response, reference) pair judged: the response's final answer (`answers`) against the reference answer,
by the fast paths or by math-verify. Runs in the pool's workers (`pool`); `verify_in_process` is for baselines
and tests on benign inputs only.

Verdicts: `pass`, `mismatch`, `no_answer` (nothing to extract), `parse_error` (math-verify extracted nothing
from the answer or the reference), `timeout` (deadline or crashed worker; given by the pool).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import Any

from amd_assets.verification.math.answers import (
    Answer,
    extract,
    extract_answer,
    fallback_parse_input,
    fast_verdict,
    joined_parts,
    other_readings,
    to_parse_input,
)

__all__ = ["MATH_VERIFIER", "MATH_VERIFIER_VERSION", "VERDICTS", "MathVerdict", "extract_answer", "verify_in_process"]

MATH_VERIFIER = "math_verify"
# Bump the suffix whenever extraction, fast paths or verdict mapping change: verdicts are keyed by version.
# amd.3: plain answers parsed as math-verify parses them, multi-box answers, display math, linear extraction.
MATH_VERIFIER_VERSION = f"{version('math-verify')}+amd.3"
VERDICTS = ("pass", "mismatch", "no_answer", "parse_error", "timeout")

_REFERENCE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class MathVerdict:
    """One verdict.

    `path`: `math_verify` (a worker ran it), `fast` (decided without math-verify: no answer, or the exact numeric
    path), `cache` (math-verify's earlier verdict for the identical answer and reference, reused).
    """

    verdict: str
    reason: str
    extracted: str | None
    duration_s: float
    path: str


# --- the math-verify side (runs in workers, or in process for baselines and tests) --------------------------


def _parse_text(text: str, parsing_timeout: int | None) -> list[list[Any]]:
    """math-verify's parse of an answer or reference, one list per reading: the first reading
    (`to_parse_input`, boxed when that extracts nothing), then those of an ambiguous text (`other_readings`)."""
    from math_verify import parse

    parsed = parse(to_parse_input(text), parsing_timeout=parsing_timeout)
    fallback = fallback_parse_input(text)
    if not parsed and fallback is not None:
        parsed = parse(fallback, parsing_timeout=parsing_timeout)
    readings = [parsed, *(parse(other, parsing_timeout=parsing_timeout) for other in other_readings(text))]
    return [reading for reading in readings if reading]


@lru_cache(maxsize=_REFERENCE_CACHE_SIZE)
def _parse_reference(reference: str, parsing_timeout: int | None) -> list[list[Any]]:
    # One parse per distinct reference per worker: all responses to a problem share it.
    return _parse_text(reference, parsing_timeout)


def _is_multi_part(gold: list[Any]) -> bool:
    from sympy import FiniteSet

    return any(isinstance(value, FiniteSet) and len(value) > 1 for value in gold)


def _equivalent(golds: list[list[Any]], preds: list[list[Any]], timeout: int | None) -> bool:
    from math_verify import verify

    return any(verify(gold, pred, timeout_seconds=timeout) for gold in golds for pred in preds)


def _math_verify_verdict(answer: Answer, reference: str, inner_timeout: int | None) -> tuple[str, str]:
    from math_verify import parse

    golds = _parse_reference(reference, inner_timeout)
    if not golds:
        return "parse_error", "math-verify extracted nothing from the reference"
    preds = _parse_text(answer.final, inner_timeout)
    if not preds:
        return "parse_error", "math-verify extracted nothing from the answer"
    if _equivalent(golds, preds, inner_timeout):
        return "pass", "math-verify: equivalent"
    # Several boxes against a multi-part reference: the set of boxes is the answer. A single-part reference
    # keeps the last box, so "an answer, then a corrected one" is still judged on the correction.
    if answer.parts and any(_is_multi_part(gold) for gold in golds):
        joined = parse(joined_parts(answer.parts), parsing_timeout=inner_timeout)
        if joined and _equivalent(golds, [joined], inner_timeout):
            return "pass", "math-verify: equivalent (the boxes as one set)"
    return "mismatch", "math-verify: not equivalent"


class _Judge:
    """Extraction, fast paths, verdict memo and math-verify for one (response, reference) pair.

    Everything runs where the deadline applies (a pool worker): extraction of a hostile response is bounded
    like its verification. `memo` keeps math-verify's verdicts for exact (answer, reference) pairs (rejection
    sampling produces the same final answer many times per problem); deterministic, so reuse is exact.
    """

    def __init__(self, fast_paths: bool, inner_timeout: int | None, memo_size: int = 0) -> None:
        self.fast_paths = fast_paths
        self.inner_timeout = inner_timeout
        self.memo_size = memo_size
        self._memo: OrderedDict[tuple[Answer, str], tuple[str, str]] = OrderedDict()

    def __call__(self, response_text: str, reference: str) -> tuple[str, str, str | None, str]:
        """(verdict, reason, extracted answer, path)."""
        answer = extract(response_text)
        if answer is None:
            return "no_answer", "no <answer>, \\boxed{} or final line", None, "fast"
        if self.fast_paths:
            verdict = fast_verdict(answer.final, reference)
            if verdict is not None:
                reason = "exact numeric: equal" if verdict == "pass" else "exact numeric: different"
                return verdict, reason, answer.final, "fast"
        key = (answer, reference)
        if key in self._memo:
            self._memo.move_to_end(key)
            return *self._memo[key], answer.final, "cache"
        verdict, reason = _math_verify_verdict(answer, reference, self.inner_timeout)
        if self.memo_size:
            self._memo[key] = (verdict, reason)
            if len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)
        return verdict, reason, answer.final, "math_verify"


def verify_in_process(
    response_text: str, reference: str, *, fast_paths: bool = False, inner_timeout: int | None = 5
) -> MathVerdict:
    """Verify one pair in this process, with math-verify's own (signal-based) timeouts.

    No outside deadline: for baselines and tests on benign inputs only; production goes through the pool.
    """
    start = time.perf_counter()
    verdict, reason, extracted, path = _Judge(fast_paths, inner_timeout)(response_text, reference)
    return MathVerdict(verdict, reason, extracted, time.perf_counter() - start, path)
