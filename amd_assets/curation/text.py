"""Text normalization shared by decontamination and dedup: lower-cased words, punctuation removed."""

from __future__ import annotations

import re

NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Asymptote drawings (MATH's [asy] blocks) are label/draw boilerplate shared by unrelated problems.
DRAWING = re.compile(r"\[asy\].*?(?:\[/asy\]|$)", re.DOTALL | re.IGNORECASE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens: letters and digits of any script; everything else separates words."""
    return NON_WORD.sub(" ", text.lower()).split()


def content_words(text: str) -> list[str]:
    """`words` of the text without its embedded drawings: what decontamination compares."""
    return words(DRAWING.sub(" ", text))


SYMBOL_OR_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def dedup_tokens(text: str) -> list[str]:
    """Lower-cased words AND symbols: HumanEval/56 and /61 differ only in `<>` versus `()`, and dropping the
    symbols would merge two different problems."""
    return SYMBOL_OR_WORD.findall(text.lower())
