"""LaTeX answer helpers shared by ingest (reference answers from solutions) and the math verifier.

Every scan here is a single left-to-right pass (linear in the text): answers are extracted from untrusted
responses, and a 200 KB run of unclosed `\\boxed{` must cost milliseconds, not minutes.
"""

from __future__ import annotations

import re

# One token per match: a box opening, an escaped character or a command (never a group brace), or a brace.
_TOKENS = re.compile(r"(?P<box>\\(?:boxed|fbox)\s*\{)|\\[A-Za-z]+|\\.|(?P<brace>[{}])", re.DOTALL)
_BOX_OPEN = re.compile(r"\\(?:boxed|fbox)\s*\{")
_SPACED_BOXED = re.compile(r"\\boxed (\S[^$]*)")
_DISPLAY_CLOSERS = (("\\]", "\\["), ("$$", "$$"))


def boxed_contents(text: str) -> list[str]:
    """Contents of every outermost balanced `\\boxed{...}` / `\\fbox{...}`, in order of appearance."""
    return [text[start:end].strip() for start, end in boxed_spans(text)]


def boxed_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the content of every outermost balanced `\\boxed{...}` / `\\fbox{...}`, in order.

    Escaped braces (`\\{`, `\\}` as in `\\left\\{`) are not group braces. A box that never closes (a truncated
    generation) is skipped, and boxes nested inside a closed box belong to its content.
    """
    stack: list[int | None] = []  # per open group: content start of a box, None for a plain group
    closed: list[tuple[int, int]] = []
    for match in _TOKENS.finditer(text):
        brace = match.group("brace")
        if brace == "}":
            if stack and (start := stack.pop()) is not None:
                closed.append((start, match.start()))
        elif brace == "{":
            stack.append(None)
        elif match.group("box"):
            stack.append(match.end())
    outermost: list[tuple[int, int]] = []
    for start, end in sorted(closed):
        if not outermost or start > outermost[-1][1]:
            outermost.append((start, end))
    return outermost


def last_boxed(text: str) -> str | None:
    """Content of the last outermost balanced `\\boxed{...}` (or `\\fbox{...}`), else of a brace-less
    `\\boxed 5`; None when there is neither. An unclosed last box (a truncated generation) falls back to an
    earlier one."""
    boxes = boxed_contents(text)
    if boxes:
        return boxes[-1]
    if _BOX_OPEN.search(text):
        return None
    spaced = list(_SPACED_BOXED.finditer(text))
    return (spaced[-1].group(1).strip() or None) if spaced else None


def trailing_display_math(text: str) -> str | None:
    """Content of a display-math block (`\\[ ... \\]` or `$$ ... $$`) that ends the text, else None."""
    body = text.rstrip()
    for closer, opener in _DISPLAY_CLOSERS:
        if body.endswith(closer) and not body.endswith("\\" + closer):
            start = body.rfind(opener, 0, len(body) - len(closer))
            if start >= 0:
                return body[start + len(opener) : len(body) - len(closer)].strip() or None
    return None
