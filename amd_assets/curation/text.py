"""Text normalization shared by decontamination and dedup: lower-cased words, punctuation removed."""

from __future__ import annotations

import re

from amd_assets.curation.minhash import normalize_text

# Asymptote drawings (MATH's [asy] blocks) are label/draw boilerplate shared by unrelated problems.
DRAWING = re.compile(r"\[asy\].*?(?:\[/asy\]|$)", re.DOTALL | re.IGNORECASE)


def words(text: str) -> list[str]:
    """The dedup engine's normalization (NFKC, lower case, letters/digits/marks of any script), as tokens, so
    decontamination and dedup see the same words."""
    return normalize_text(text).split()


def content_words(text: str) -> list[str]:
    """`words` of the text without its embedded drawings: what decontamination compares."""
    return words(DRAWING.sub(" ", text))


SYMBOL = re.compile(r"[^\w\s]", re.UNICODE)


def symbols_as_words(text: str) -> str:
    """Each symbol becomes a word of its own (`<` → ` sym3c `) for the word-shingling dedup engine, which drops
    punctuation: HumanEval/56 and /61 differ only in `<>` versus `()`, and without the symbols two different
    problems would look identical."""
    return SYMBOL.sub(lambda match: f" sym{ord(match.group()):x} ", text)
