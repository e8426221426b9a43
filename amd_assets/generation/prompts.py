"""Prompts in the paper's format: a system prompt asking for `<think> … </think> <answer> … </answer>`.

The user turn is the problem's prompt through a per-category template (code asks for one fenced program in the
language its tests run, math for a boxed final answer that math-verify can read). The prompt version, a hash of
everything here that shapes the request, is part of each response_id: editing a prompt yields new responses
instead of silently mixing two prompt styles under the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

# AM-DeepSeek-R1-Distilled (arXiv 2503.19633) trains with this system prompt.
PAPER_SYSTEM_PROMPT = (
    "You are a helpful assistant. To answer the user's question, you first think about the reasoning process and "
    "then provide the user with the answer. The reasoning process and answer are enclosed within <think> </think> "
    "and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> "
    "<answer> answer here </answer>."
)

DEFAULT_TEMPLATES: dict[str, str] = {
    "math": "{prompt}\n\nPlease reason step by step, and put your final answer within \\boxed{{}}.",
    "code": "{prompt}\n\nGive your final solution as one complete program in a single fenced code block "
    "(```{code_language} … ```).",
    "science": "{prompt}",
    "general": "{prompt}",
}


def code_language(test_cases: str | None) -> str:
    """The language the problem's tests run (test_cases JSON carries it); python when unknown."""
    if test_cases:
        try:
            spec = orjson.loads(test_cases)
        except orjson.JSONDecodeError:
            return "python"
        if isinstance(spec, dict) and isinstance(spec.get("language"), str):
            return spec["language"]
    return "python"


@dataclass(frozen=True)
class PromptBuilder:
    system_prompt: str = PAPER_SYSTEM_PROMPT
    templates: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATES))
    # DeepSeek advises R1 users to put every instruction in the user turn; this does that with the system prompt.
    system_in_user: bool = False

    @classmethod
    def with_overrides(cls, system_prompt: str, templates: Mapping[str, str], system_in_user: bool) -> PromptBuilder:
        return cls(system_prompt, {**DEFAULT_TEMPLATES, **templates}, system_in_user)

    @property
    def version(self) -> str:
        shape = {"system": self.system_prompt, "templates": dict(self.templates), "in_user": self.system_in_user}
        return hashlib.blake2b(orjson.dumps(shape, option=orjson.OPT_SORT_KEYS), digest_size=6).hexdigest()

    def user_text(self, category: str, prompt: str, test_cases: str | None = None) -> str:
        template = self.templates.get(category, "{prompt}")
        return template.format(prompt=prompt, code_language=code_language(test_cases))

    def messages(self, category: str, prompt: str, test_cases: str | None = None) -> list[dict[str, str]]:
        user = self.user_text(category, prompt, test_cases)
        if not self.system_prompt:
            return [{"role": "user", "content": user}]
        if self.system_in_user:
            return [{"role": "user", "content": f"{self.system_prompt}\n\n{user}"}]
        return [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": user}]
