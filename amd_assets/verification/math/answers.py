"""Answer extraction and the exact numeric fast path for the math verifier (no math-verify, no sympy here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from amd_assets.latex import boxed_spans, last_boxed, trailing_display_math

_OPEN_TAG, _CLOSE_TAG = "<answer>", "</answer>"
# Delimiters math-verify's own LaTeX extraction recognises: text carrying them is handed over as is.
_MATH_DELIMS = re.compile(r"(?<!\\)\$|\\\(|\\\[")
# Two consecutive plain words (LaTeX commands and \text{} removed) mean prose, not a bare formula.
_PROSE = re.compile(r"(?<![A-Za-z])[A-Za-z]{3,}\s+[A-Za-z]{3,}")  # anchored: linear
_LATEX_NOISE = re.compile(r"\\text\{[^{}]*\}|\\[A-Za-z]+")
# A final line longer than this with no digit or LaTeX is a sentence, not an answer.
_MAX_PLAIN_FINAL_LINE_WORDS = 12
_FINAL_ANSWER_IS = "final answer is"
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+")
# One number as people write it: sign, thousands grouped by commas or spaces, decimals.
_PLAIN_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
# What may surround that number in a plain answer: words, spaces, punctuation, markdown emphasis, brackets
# around units. No digit, LaTeX or operator: with one of those the text is a formula, not a plain number.
_PLAIN_DECORATION = re.compile(r"[A-Za-z\s.,;:!?*_()'\"%°-]*")


@dataclass(frozen=True)
class Answer:
    """What a response answers: `final` is judged first; `parts` are all its boxes when it boxed several
    different things (a multi-part answer, or an answer followed by a corrected one)."""

    final: str
    parts: tuple[str, ...] = ()


def answer_blocks(text: str) -> list[str]:
    """The stripped contents of every closed `<answer>…</answer>` block, in one linear pass."""
    blocks = []
    start = text.find(_OPEN_TAG)
    while start >= 0:
        end = text.find(_CLOSE_TAG, start + len(_OPEN_TAG))
        if end < 0:
            break  # no later block can close either
        blocks.append(text[start + len(_OPEN_TAG) : end].strip())
        start = text.find(_OPEN_TAG, end + len(_CLOSE_TAG))
    return blocks


def answer_region(response_text: str) -> tuple[str, bool] | None:
    """Where the answer is, and whether it is tagged: the last non-empty `<answer>` block, else the text after
    the reasoning (None for empty tags or reasoning that never closed)."""
    tags = answer_blocks(response_text)
    if tags:
        # A response that states its answer in the tag is judged on the tag alone, even when it is empty.
        nonempty = [t for t in tags if t]
        return (nonempty[-1], True) if nonempty else None
    _, think_end, after = response_text.rpartition("</think>")
    tail = after if think_end else response_text
    if "<think>" in tail:  # reasoning that never closed: whatever it ends with is not an answer
        return None
    return tail, False


def extract(response_text: str) -> Answer | None:
    """The answer of a response (see `extract_answer`), with every box when it boxed several."""
    found = answer_region(response_text)
    if found is None:
        return None
    region, tagged = found
    spans = boxed_spans(region)
    boxes = [region[start:end].strip() for start, end in spans]
    # "The final answer is $x$" after the last box restates the answer, as math-verify reads it first.
    restated = region.lower().rfind(_FINAL_ANSWER_IS)
    if not tagged and restated > (spans[-1][1] if spans else len(region)):
        return Answer(region[restated:].split("\n", 1)[0].strip())
    if boxes:
        distinct = tuple(dict.fromkeys(box for box in boxes if box))
        return Answer(boxes[-1], distinct if len(distinct) > 1 else ()) if boxes[-1] else None
    spaced = last_boxed(region)
    if spaced:
        return Answer(spaced)
    final = region if tagged else _final_statement(region)
    return Answer(final) if final else None


def _final_statement(tail: str) -> str | None:
    display = trailing_display_math(tail)
    if display:
        return display
    lines = [line.strip() for line in tail.split("\n") if line.strip()]  # not splitlines: \f is no line end
    if not lines:
        return None
    line = lines[-1]
    if len(line.split()) > _MAX_PLAIN_FINAL_LINE_WORDS and not re.search(r"[\d\\$]", line):
        return None
    return line


def extract_answer(response_text: str) -> str | None:
    """The final answer of a response: `<answer>...</answer>`, else the last `\\boxed{}`, else the final line.

    Inside `<answer>`, a `\\boxed{}` wins over the surrounding prose; empty `<answer>` tags mean no answer.
    Only the text after `</think>` is considered for the final-line fallback (a display-math block ending the
    text counts as its final line), so a response that never leaves its reasoning has no answer. Linear time.
    """
    answer = extract(response_text)
    return answer.final if answer else None


def is_plain_number(answer: str) -> bool:
    """One number amid words and punctuation (`42.`, `**42**`, `Answer: 42`, `1 000`, `42 (degrees)`): text
    math-verify's own plain parse reads right, where boxing it would make a product of letters."""
    numbers = list(_PLAIN_NUMBER.finditer(answer))
    if len(numbers) != 1:
        return False
    number = numbers[0]
    rest = answer[: number.start()] + " " + answer[number.end() :]
    return _PLAIN_DECORATION.fullmatch(rest) is not None


def to_parse_input(answer: str) -> str:
    """The string handed first to `math_verify.parse` for an extracted answer or a reference answer.

    Plain numbers and text with math delimiters or prose go as they are (math-verify's own extraction);
    bare formulas are boxed so math-verify parses them as LaTeX (its plain-expression fallback would read
    `2\\pi` as `2`). `fallback_parse_input` is tried when the first parse extracts nothing.
    """
    answer = answer.strip()
    if is_plain_number(answer) or _MATH_DELIMS.search(answer) or _PROSE.search(_LATEX_NOISE.sub(" ", answer)):
        return answer
    return "\\boxed{" + answer + "}"


def fallback_parse_input(answer: str) -> str | None:
    """The other reading of an answer (boxed when the first was bare); None when there is no other."""
    first = to_parse_input(answer)
    boxed = "\\boxed{" + answer.strip() + "}"
    return boxed if first != boxed else None


def other_readings(answer: str) -> list[str]:
    """Readings of an ambiguous answer besides the first: `1,22` is the set {1, 22} or, with a decimal comma,
    1.22 (math-verify reads the latter). Only that exact shape is ambiguous: `1,000` is a thousand and
    `3, 5` a set."""
    answer = answer.strip()
    if _DECIMAL_COMMA.fullmatch(answer) and not _THOUSANDS.fullmatch(answer):
        return [answer.replace(",", ".")]
    return []


def joined_parts(parts: tuple[str, ...]) -> str:
    """Several boxed answers read as one set."""
    return "\\boxed{" + ", ".join(parts) + "}"


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
