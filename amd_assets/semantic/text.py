"""The text an embedding model sees for a problem or a benchmark item, and its cache key."""

from __future__ import annotations

import hashlib
import re

from amd_assets.curation.text import DRAWING

# Long enough for any competition problem; bounds what one text costs an endpoint (≈2k tokens).
MAX_CHARS = 8000
SPACE = re.compile(r"\s+")
DIGIT = re.compile(r"\d")


def embedding_view(prompt: str) -> str:
    """The prompt without its [asy] drawings (label/draw code shared by unrelated geometry problems), every digit
    masked as 0 (a problem with other numbers is the same problem, for dedup and for decontamination alike:
    measured on data/semantic_pairs, masking raises recall at equal precision), whitespace collapsed, capped at
    MAX_CHARS."""
    return SPACE.sub(" ", DIGIT.sub("0", DRAWING.sub(" ", prompt))).strip()[:MAX_CHARS]


def view_hash(view: str) -> str:
    """16 hex digits of the embedded text: with the model key, the cache key of a stored vector."""
    return hashlib.blake2b(view.encode(), digest_size=8).hexdigest()
