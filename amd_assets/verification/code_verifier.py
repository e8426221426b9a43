"""Code responses → the program to run: the last fenced block of the answer (```python, ```cpp, or bare ```)."""

from __future__ import annotations

import re

FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+#-]*)[^\n]*\n(.*?)```", re.DOTALL)
LANGUAGES = {"python": {"python", "py", "python3", ""}, "cpp": {"cpp", "c++", "cc", "cxx", ""}}


def extract_program(answer: str, language: str = "python") -> str | None:
    """The last fenced block whose tag fits `language` (an untagged fence fits any); None when there is none."""
    wanted = LANGUAGES.get(language, {language, ""})
    blocks = [body for tag, body in FENCE.findall(answer) if tag.lower() in wanted]
    return blocks[-1] if blocks else None
