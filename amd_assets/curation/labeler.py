"""Difficulty/category labels from an LLM through any OpenAI-compatible endpoint, parsed strictly.

Used only for problems whose source maps no label. The model must answer with one JSON object
{"category": ..., "difficulty": ...} using the allowed values; anything else is a recorded failure and the
problem stays `unlabeled` — a guess is never invented.
"""

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import orjson
from dagster import ConfigurableResource
from pydantic import Field

from amd_assets.registry.model import CATEGORIES, DIFFICULTIES

SYSTEM_PROMPT = (
    "You label problems for a training dataset. Reply with exactly one JSON object and nothing else: "
    '{"category": one of ' + ", ".join(CATEGORIES) + ', "difficulty": one of ' + ", ".join(DIFFICULTIES) + "}."
)
FENCED_JSON = re.compile(r"^```(?:json)?\s*(\{.*\})\s*```$", re.DOTALL)


@dataclass(frozen=True)
class Label:
    category: str | None
    difficulty: str | None
    error: str | None = None


def parse_label(text: str) -> Label:
    """Strict: one JSON object (optionally fenced) with exactly the two keys and allowed values."""
    body = text.strip()
    fenced = FENCED_JSON.match(body)
    try:
        answer = orjson.loads(fenced.group(1) if fenced else body)
    except orjson.JSONDecodeError:
        return Label(None, None, f"not JSON: {body[:120]!r}")
    if not isinstance(answer, dict) or set(answer) != {"category", "difficulty"}:
        return Label(None, None, f"expected keys category and difficulty, got {body[:120]!r}")
    category, difficulty = answer["category"], answer["difficulty"]
    if category not in CATEGORIES or difficulty not in DIFFICULTIES:
        return Label(None, None, f"values outside the allowed sets: {category!r}, {difficulty!r}")
    return Label(category, difficulty)


class LabelerResource(ConfigurableResource):
    base_url: str | None = Field(default=None, description="OpenAI-compatible /v1 URL; None switches labeling off.")
    model: str | None = None
    api_key_env: str = Field(default="AMD_LABELER_API_KEY", description="Env var holding the API key, if any.")
    request_timeout_s: float = 60.0
    request_attempts: int = Field(default=4, description="Attempts per request, the first included.")
    max_concurrency: int = 8
    max_prompt_chars: int = 6000

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)

    def label(self, prompts: list[str]) -> list[Label]:
        if not self.configured:
            return [Label(None, None, "no labeler configured") for _ in prompts]
        from openai import OpenAI

        client = OpenAI(
            base_url=self.base_url,
            api_key=os.environ.get(self.api_key_env, "unused"),
            timeout=self.request_timeout_s,
            max_retries=max(self.request_attempts - 1, 0),
        )

        def one(prompt: str) -> Label:
            try:
                reply = client.chat.completions.create(
                    model=self.model or "",
                    temperature=0,
                    max_tokens=64,
                    messages=[
                        {"role": "system", "content": SYSTEM_PROMPT},
                        {"role": "user", "content": prompt[: self.max_prompt_chars]},
                    ],
                )
            except Exception as error:  # any transport/API failure is a recorded failure, not a crash
                return Label(None, None, f"{type(error).__name__}: {str(error)[:200]}")
            content = reply.choices[0].message.content if reply.choices else None
            return parse_label(content or "")

        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            return list(pool.map(one, prompts))
