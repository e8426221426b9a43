"""LaTeX answer helpers shared by ingest (reference answers from solutions) and the math verifier."""

from __future__ import annotations

import re

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_SPACED_BOXED = re.compile(r"\\boxed (\S[^$]*)")


def last_boxed(text: str) -> str | None:
    """Content of the last balanced `\\boxed{...}` (or `\\fbox{...}`), else of a brace-less `\\boxed 5`; None
    when there is neither. An unbalanced last box (a truncated generation) falls back to an earlier one."""
    for match in reversed(list(_BOXED.finditer(text))):
        depth = 0
        start = match.end()
        for pos in range(start - 1, len(text)):
            char = text[pos]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start:pos].strip()
    if _BOXED.search(text):
        return None
    spaced = list(_SPACED_BOXED.finditer(text))
    return (spaced[-1].group(1).strip() or None) if spaced else None
