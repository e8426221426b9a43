"""Split a full response into its reasoning (`<think>`) and final answer (`<answer>` or what follows)."""

from __future__ import annotations

import re

ANSWER_TAGS = re.compile(r"^\s*<answer>(.*?)(?:</answer>\s*)?$", re.DOTALL)


def strip_answer_tags(text: str) -> str:
    match = ANSWER_TAGS.match(text)
    return (match.group(1) if match else text).strip()


def split_response(text: str) -> tuple[str | None, str]:
    """(think, answer). No `<think>` → no reasoning; an unclosed `<think>` → all reasoning, empty answer."""
    start = text.find("<think>")
    if start < 0:
        return None, strip_answer_tags(text)
    end = text.find("</think>", start)
    if end < 0:
        return text[start + len("<think>") :].strip(), ""
    think = text[start + len("<think>") : end].strip()
    return think, strip_answer_tags(text[end + len("</think>") :])
