"""What goes into a teacher and what comes out, the same for every backend."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

Status = Literal["ok", "truncated", "failed"]

_ANSWER = re.compile(r"<answer>(.*?)(?:</answer>|\Z)", re.DOTALL)


@dataclass(frozen=True)
class SamplingParams:
    """Sampling settings; part of every response_id, so changing one yields new responses instead of reusing."""

    temperature: float = 0.6
    top_p: float = 0.95
    max_tokens: int = 32_768

    def as_dict(self) -> dict[str, Any]:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens}

    def canonical_json(self) -> str:
        return orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS).decode()


@dataclass(frozen=True)
class TeacherRequest:
    """One generation: `key` is the response_id, carried to the result and sent as the request id."""

    key: str
    messages: list[dict[str, str]]

    @property
    def prompt_chars(self) -> int:
        return sum(len(message["content"]) for message in self.messages)


@dataclass(frozen=True)
class Split:
    think: str | None
    answer: str | None
    method: Literal["reasoning_field", "tags", "none"]


def split_think_answer(content: str | None, reasoning: str | None = None) -> Split:
    """Separate the reasoning from the answer.

    A server running a reasoning parser (vLLM `--reasoning-parser deepseek_r1`) returns the think part in its own
    field; otherwise it is inside `<think>…</think>` in the text. R1's chat template opens `<think>` in the prompt,
    so the text often starts inside the think block with only the closing tag present. The answer is the
    `<answer>` block when there is one, else whatever follows the reasoning.
    """
    text = content or ""
    if reasoning and reasoning.strip():
        found = _ANSWER.search(text)
        answer = (found.group(1) if found else text).strip()
        return Split(reasoning.strip(), answer or None, "reasoning_field")
    # The last closing tag ends the reasoning: an answer never carries reasoning, even with several think blocks.
    close = text.rfind("</think>")
    if close < 0:
        found = _ANSWER.search(text)
        return Split(None, found.group(1).strip() or None if found else None, "none")
    start = text.find("<think>", 0, close)
    think = text[start + len("<think>") if start >= 0 else 0 : close].strip()
    rest = text[close + len("</think>") :]
    found = _ANSWER.search(rest)
    answer = (found.group(1) if found else rest).strip()
    return Split(think or None, answer or None, "tags")


@dataclass
class TeacherResult:
    """One request's outcome. A failed request is a result too (status `failed`), never an exception."""

    key: str
    status: Status
    backend: str
    model: str
    sampling: SamplingParams
    attempts: int
    latency_s: float  # the last attempt
    elapsed_s: float  # first attempt to result, backoff included
    text: str | None = None
    reasoning: str | None = None
    think: str | None = None
    answer: str | None = None
    split_method: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    served_model: str | None = None
    endpoint: str | None = None
    error_class: str | None = None
    error: str | None = None
    retryable: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


def completed(
    key: str,
    *,
    content: str | None,
    reasoning: str | None,
    finish_reason: str | None,
    prompt_tokens: int | None,
    completion_tokens: int | None,
    **common: Any,
) -> TeacherResult:
    """A generated response; `finish_reason=length` marks it truncated (paid for, but cut off)."""
    split = split_think_answer(content, reasoning)
    return TeacherResult(
        key=key,
        status="truncated" if finish_reason == "length" else "ok",
        text=content or "",
        reasoning=reasoning or None,
        think=split.think,
        answer=split.answer,
        split_method=split.method,
        finish_reason=finish_reason,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        **common,
    )


def call_fields(
    backend: str, model: str, sampling: SamplingParams, attempt: int, sent: float, started: float, endpoint: str | None
) -> dict[str, Any]:
    """What every result records of its call: who answered, on which attempt, how long the last attempt and the
    whole call took (`sent`, `started`: `time.monotonic()` readings)."""
    now = time.monotonic()
    return {
        "backend": backend,
        "model": model,
        "sampling": sampling,
        "attempts": attempt,
        "latency_s": now - sent,
        "elapsed_s": now - started,
        "endpoint": endpoint,
    }


def failed(key: str, *, error_class: str, error: str, retryable: bool, **common: Any) -> TeacherResult:
    return TeacherResult(
        key=key, status="failed", error_class=error_class, error=error[:1000], retryable=retryable, **common
    )
