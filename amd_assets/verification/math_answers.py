"""Answer extraction and the exact numeric fast path for the math verifier (no math-verify, no sympy here)."""

from __future__ import annotations

import re
from fractions import Fraction

from amd_assets.latex import last_boxed

_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
# Delimiters math-verify's own LaTeX extraction recognises: text carrying them is handed over as is.
_MATH_DELIMS = re.compile(r"(?<!\\)\$|\\\(|\\\[")
# Two consecutive plain words (LaTeX commands and \text{} removed) mean prose, not a bare formula.
_PROSE = re.compile(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}")
_LATEX_NOISE = re.compile(r"\\text\{[^{}]*\}|\\[A-Za-z]+")
# A final line longer than this with no digit or LaTeX is a sentence, not an answer.
_MAX_PLAIN_FINAL_LINE_WORDS = 12


def extract_answer(response_text: str) -> str | None:
    """The final answer of a response: `<answer>...</answer>`, else the last `\\boxed{}`, else the final line.

    Inside `<answer>`, a `\\boxed{}` wins over the surrounding prose; empty `<answer>` tags mean no answer.
    Only the text after `</think>` is considered for the final-line fallback, so a response that never leaves
    its reasoning has no answer.
    """
    tags = [m.group(1).strip() for m in _ANSWER_TAG.finditer(response_text)]
    if tags:
        # A response that states its answer in the tag is judged on the tag alone, even when it is empty.
        nonempty = [t for t in tags if t]
        if not nonempty:
            return None
        return last_boxed(nonempty[-1]) or nonempty[-1]
    boxed = last_boxed(response_text)
    if boxed:
        return boxed
    _, think_end, after = response_text.rpartition("</think>")
    tail = after if think_end else response_text
    if "<think>" in tail:  # reasoning that never closed: whatever it ends with is not an answer
        return None
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    if not lines:
        return None
    line = lines[-1]
    if len(line.split()) > _MAX_PLAIN_FINAL_LINE_WORDS and not re.search(r"[\d\\$]", line):
        return None
    return line


def to_parse_input(answer: str) -> str:
    """The string handed to `math_verify.parse` for an extracted answer or a reference answer.

    Bare formulas are boxed so math-verify parses them as LaTeX (its plain-expression fallback would read
    `\\frac{1}{2}` as `1`); text with math delimiters or prose is left for math-verify's own extraction.
    """
    answer = answer.strip()
    if _MATH_DELIMS.search(answer) or _PROSE.search(_LATEX_NOISE.sub(" ", answer)):
        return answer
    return "\\boxed{" + answer + "}"


# --- exact fast path -------------------------------------------------------------------------------------
# Only a tiny numeric grammar whose math-verify semantics are fully known: latex2sympy turns integers and
# \frac of integers into exact Integers/Rationals (compared exactly), decimals into Floats (compared after
# rounding to 6 places). Anything else (percent, units, commas, sqrt, sets, ...) goes to math-verify.
_INT = r"\d+"
_DEC = r"\d*\.\d+"
_FRAC = r"\\[dt]?frac\{\d+\}\{\d+\}"
_SLASH = r"\d+/\d+"
_NUMERIC = re.compile(rf"-?(?:(?P<frac>{_FRAC})|(?P<slash>{_SLASH})|(?P<dec>{_DEC})|(?P<int>{_INT}))")
# Floats carry 15 significant digits in math-verify: keep decimals well inside that before trusting a verdict.
_MAX_DECIMAL_MAGNITUDE = Fraction(10**6)
_MAX_DIGITS = 40
# Rounding to 6 places cannot make two values this far apart equal, nor two exactly equal values differ.
_FLOAT_MARGIN = Fraction(1, 10**4)


def parse_simple_number(text: str) -> tuple[Fraction, bool] | None:
    """(exact value, is_decimal) when `text` is a plain integer, decimal or integer fraction; else None."""
    text = text.strip()
    if len(text) > _MAX_DIGITS:
        return None
    match = _NUMERIC.fullmatch(text)
    if match is None:
        return None
    sign = -1 if text.startswith("-") else 1
    if match.group("frac"):
        num, den = re.findall(r"\d+", match.group("frac"))
    elif match.group("slash"):
        num, den = match.group("slash").split("/")
    else:
        body = match.group("dec") or match.group("int")
        return sign * Fraction(body), match.group("dec") is not None
    if int(den) == 0:
        return None
    return sign * Fraction(int(num), int(den)), False


def fast_verdict(answer: str, reference: str) -> str | None:
    """`pass` / `mismatch` when both sides are simple numbers and math-verify's verdict is certain, else None."""
    got = parse_simple_number(answer)
    want = parse_simple_number(reference)
    if got is None or want is None:
        return None
    (a, a_dec), (b, b_dec) = got, want
    if a == b:
        return "pass"
    if not (a_dec or b_dec):
        return "mismatch"
    if abs(a) > _MAX_DECIMAL_MAGNITUDE or abs(b) > _MAX_DECIMAL_MAGNITUDE:
        return None
    return "mismatch" if abs(a - b) > _FLOAT_MARGIN else None
