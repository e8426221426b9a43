"""Comparing a program's output with the expected one, outside the sandbox.

stdout (stdio tests): both outputs are read as one stream of whitespace-separated tokens, as contest judges do:
how tokens are spread over lines, and any spacing, does not matter (`1 2` equals `1\n2\n`); a missing or extra
token fails. Tokens match when identical (case-sensitive) or when both are finite decimal numbers within
``FLOAT_TOL`` absolute or relative. Two integers must be equal exactly (no tolerance on big integers);
nan/inf never match a number.

Return values (function_call tests) arrive as JSON produced by the harness from exact builtin types only; they
match the expected JSON value structurally, numbers with the same tolerance, bools only bools, NaN and
infinities never.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

FLOAT_TOL = 1e-6
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_CONTEXT_TOKENS = 20  # tokens shown on each side of the first difference


@dataclass(frozen=True, slots=True)
class Mismatch:
    """Where and how an output differs from the expected one."""

    where: str
    expected: str
    got: str


def numbers_close(expected: float, got: float) -> bool:
    if not (math.isfinite(expected) and math.isfinite(got)):
        return False
    diff = abs(expected - got)
    return diff <= FLOAT_TOL or diff <= FLOAT_TOL * abs(expected)


def tokens_match(expected: str, got: str) -> bool:
    if expected == got:
        return True
    if not (_NUMBER.fullmatch(expected) and _NUMBER.fullmatch(got)):
        return False
    if _INTEGER.fullmatch(expected) and _INTEGER.fullmatch(got):
        try:
            return int(expected) == int(got)
        except ValueError:  # beyond int's digit limit: textual equality was already checked
            return False
    try:
        return numbers_close(float(expected), float(got))
    except (ValueError, OverflowError):
        return False


def compare_stdout(expected: str, got: str) -> Mismatch | None:
    """None when `got` matches `expected` token-wise; otherwise the first difference, shown as the tokens
    around it on both sides."""
    want, have = expected.split(), got.split()
    if want == have:  # identical tokens always match: the common case needs no token-by-token look
        return None
    for number in range(max(len(want), len(have))):
        if number >= len(want) or number >= len(have) or not tokens_match(want[number], have[number]):
            return Mismatch(f"token {number + 1}", _around(want, number), _around(have, number))
    return None


def _around(tokens: list[str], index: int, context: int = _CONTEXT_TOKENS) -> str:
    start = max(0, index - context)
    shown = " ".join(tokens[start : index + context])
    return ("… " if start else "") + (shown or "<no output>") + (" …" if index + context < len(tokens) else "")


def values_match(expected: Any, got: Any) -> bool:
    """Structural equality of two decoded JSON values, with the float tolerance."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int | float) and isinstance(got, int | float):
        if isinstance(expected, int) and isinstance(got, int):
            return expected == got
        try:
            return numbers_close(float(expected), float(got))
        except OverflowError:  # an int too large for a float cannot be within tolerance of a finite float
            return False
    if expected is None or isinstance(expected, str):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(expected) == len(got)
            and all(values_match(a, b) for a, b in zip(expected, got, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and expected.keys() == got.keys()
            and all(values_match(expected[key], got[key]) for key in expected)
        )
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name} in result")


def compare_result(expected: Any, result_json: bytes) -> Mismatch | None:
    """Compare a function's JSON-encoded return value (from the harness) with the expected value."""
    try:
        got = json.loads(result_json, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        return Mismatch("return value", _dump(expected), f"<unusable result: {exc}>")
    if values_match(expected, got):
        return None
    return Mismatch("return value", _dump(expected), _dump(got))


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return repr(value)
