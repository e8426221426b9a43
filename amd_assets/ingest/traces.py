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


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), braces balanced; None if there is none."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        spaced = text.rfind("\\boxed ")
        if spaced < 0:
            return None
        return text[spaced + len("\\boxed ") :].split("$", 1)[0].strip() or None
    index = text.index("{", start) + 1
    depth = 1
    for position in range(index, len(text)):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[index:position]
    return None
