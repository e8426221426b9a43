"""Quality rules of `filtered_problems`: each returns (reason, detail) for a prompt it rejects, or None.

The AM paper drops prompts a text-only model cannot answer as given: ones that point at an image or figure,
lean on a table, carry URLs, are garbled, empty or cut off. Rules run in a fixed order and the first that
fires names the reason, so the funnel counts every dropped row exactly once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from amd_assets.registry.model import FilterSpec

Verdict = tuple[str, dict[str, object]] | None

URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s)\]>\"']+", re.IGNORECASE)
IMAGE = re.compile(
    r"!\[[^\]]*\]\(|<img\b|\.(?:png|jpe?g|gif|svg|bmp)\b|"
    r"\b(?:shown|given|depicted|illustrated|pictured)\s+(?:in|on|by)\s+(?:the\s+)?"
    r"(?:figure|image|picture|diagram|graph|photo|illustration)\b|"
    r"\b(?:see|refer to|look at)\s+(?:the\s+)?(?:attached\s+)?(?:figure|image|picture|diagram|photo)\b|"
    r"\b(?:the\s+)?(?:figure|image|picture|diagram|photo)\s+(?:below|above|attached)\b|"
    r"\bfig(?:ure)?\.?\s*\d+\b",
    re.IGNORECASE,
)
MARKDOWN_TABLE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)
OTHER_TABLE = re.compile(r"<table\b|\\begin\{(?:tabular|array)\}|\b(?:the\s+)?table\s+(?:below|above)\b", re.IGNORECASE)
UNUSUAL_CATEGORIES = {"Cc", "Co", "Cs", "Cn"}
ALLOWED_CONTROLS = {"\n", "\t", "\r"}


def _url(prompt: str, spec: FilterSpec) -> Verdict:
    match = URL.search(prompt) if spec.urls else None
    return ("url", {"match": match.group(0)[:200]}) if match else None


def _image(prompt: str, spec: FilterSpec) -> Verdict:
    # A figure drawn inline as Asymptote code (MATH's [asy] blocks) is text the model can read.
    if not spec.image_references or "[asy]" in prompt:
        return None
    match = IMAGE.search(prompt)
    return ("image_reference", {"match": match.group(0)[:200]}) if match else None


def _table(prompt: str, spec: FilterSpec) -> Verdict:
    if not spec.tables:
        return None
    match = MARKDOWN_TABLE.search(prompt) or OTHER_TABLE.search(prompt)
    return ("table", {"match": match.group(0).strip()[:200]}) if match else None


def unusual_char_ratio(prompt: str) -> float:
    if not prompt:
        return 0.0
    unusual = sum(
        1
        for char in prompt
        if char == "\ufffd" or (char not in ALLOWED_CONTROLS and unicodedata.category(char) in UNUSUAL_CATEGORIES)
    )
    return unusual / len(prompt)


def _characters(prompt: str, spec: FilterSpec) -> Verdict:
    ratio = unusual_char_ratio(prompt)
    if ratio > spec.max_unusual_char_ratio:
        return "unusual_characters", {"ratio": round(ratio, 4), "limit": spec.max_unusual_char_ratio}
    return None


def _emptiness_and_length(prompt: str, spec: FilterSpec) -> Verdict:
    size = len(prompt.strip())
    if size == 0:
        return "empty_prompt", {}
    if size < spec.min_chars:
        return "too_short", {"chars": size, "min_chars": spec.min_chars}
    if size > spec.max_chars:
        return "too_long", {"chars": size, "max_chars": spec.max_chars}
    return None


def _incomplete(prompt: str, spec: FilterSpec) -> Verdict:
    if not spec.incomplete:
        return None
    if prompt.count("```") % 2:
        return "incomplete_prompt", {"unclosed": "code fence"}
    # `$` doubles as a currency sign, so only LaTeX's explicit delimiters and environments are counted.
    for opening, closing in ((r"\begin{", r"\end{"), (r"\[", r"\]"), (r"\(", r"\)")):
        if prompt.count(opening) != prompt.count(closing):
            return "incomplete_prompt", {"unclosed": opening}
    return None


RULES: list[Callable[[str, FilterSpec], Verdict]] = [
    _emptiness_and_length,
    _characters,
    _url,
    _image,
    _table,
    _incomplete,
]


def first_violation(prompt: str, spec: FilterSpec) -> Verdict:
    for rule in RULES:
        verdict = rule(prompt, spec)
        if verdict is not None:
            return verdict
    return None
