"""Language detection for the language-consistency rule: lingua (ships its models, no downloads), built once.

Detection runs on prose only: code, LaTeX, URLs and our tags are stripped first, because a code-heavy answer
to a French prompt is still a French-consistent answer, and `\\frac{a}{b}` reads as no language at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # lingua loads when the rule first runs, not when the code location loads
    from lingua import LanguageDetector

# Order matters: fenced blocks before inline spans, display math before inline math.
_STRIP_PATTERNS = [
    re.compile(r"```.*?(?:```|\Z)", re.DOTALL),  # fenced code, also an unclosed final fence
    re.compile(r"~~~.*?(?:~~~|\Z)", re.DOTALL),
    re.compile(r"`[^`\n]*`"),
    re.compile(r"\$\$.*?\$\$", re.DOTALL),
    re.compile(r"\\\[.*?\\\]", re.DOTALL),
    re.compile(r"\\\(.*?\\\)", re.DOTALL),
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.DOTALL),
    re.compile(r"\$[^$\n]*\$"),
    re.compile(r"\\[A-Za-z]+"),  # stray LaTeX commands outside math delimiters
    re.compile(r"https?://\S+"),
    re.compile(r"</?(?:think|answer)>"),
]
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def strip_non_prose(text: str) -> str:
    for pattern in _STRIP_PATTERNS:
        text = pattern.sub(" ", text)
    return text


def letter_count(text: str) -> int:
    return len(_LETTER.findall(text))


@lru_cache(maxsize=8)
def detector_for(iso_codes: tuple[str, ...]) -> LanguageDetector:
    """One detector per language set for the life of the process: building one loads models (~1 s)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in iso_codes]
    if len(languages) < 2:
        raise ValueError("language detection needs at least two candidate languages")
    return LanguageDetectorBuilder.from_languages(*languages).build()


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1 code, None when inconclusive
    confidence: float
    letters: int
    reason: str  # "detected" | "too_short" | "ambiguous"


def detect(text: str, iso_codes: tuple[str, ...], min_letters: int, min_confidence: float, max_chars: int) -> Detection:
    """Detect the prose language of `text`, or say why it cannot be decided (too few letters, low confidence)."""
    prose = strip_non_prose(text)
    # A prefix is enough to tell a language, and it bounds the cost on 30k-token traces.
    prose = " ".join(prose.split())[:max_chars]
    letters = letter_count(prose)
    if letters < min_letters:
        return Detection(None, 0.0, letters, "too_short")
    values = detector_for(iso_codes).compute_language_confidence_values(prose)
    if not values or values[0].value < min_confidence:
        top = values[0].value if values else 0.0
        return Detection(None, top, letters, "ambiguous")
    top = values[0]
    return Detection(top.language.iso_code_639_1.name.lower(), top.value, letters, "detected")
