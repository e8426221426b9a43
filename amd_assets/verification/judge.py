"""Rubric LLM judge for categories without reference answers or tests, through an OpenAI-compatible endpoint.

The judge scores correctness, helpfulness and coherence 0-4 each; the score is their sum / 12, and a response
passes when score >= `pass_threshold`. Verdicts:
  - `pass` / `fail`: the judge answered with valid rubric JSON;
  - `judge_error`: the judge's answer is not valid rubric JSON (never guessed from prose), or the request still
    failed after the client's retries (reason starts with `request_failed`; callers may prefer not to persist
    these so a later run retries them);
  - `unverified`: no judge configured (`base_url` None). Never passed, so never released as verified.

Reward model (`mode="reward"`, verifier `judge_reward`): the (prompt, answer) conversation is posted to a pooling
endpoint (vLLM's `/pooling` for `*ForRewardModeling` / `--runner pooling` models); the reward is the last number of
the returned data, squashed with a sigmoid when `reward_sigmoid` (raw logits), and passes at `pass_threshold`.

Second opinion on math (`math_judge`): when math-verify says `mismatch`, the same endpoint may be asked whether the
response's final answer and the reference are mathematically equivalent (strict JSON `{"equivalent": bool}`);
it is recorded as its own verifier, so the audit shows every overturned mismatch.

Accepted judge answers, strictly: one JSON object, optionally after a closed `<think>…</think>` block (reasoning
judges) and optionally inside a single ```json fence; it must carry `correctness`, `helpfulness`, `coherence` as
integers 0..4 (bools and floats are rejected); extra keys such as `rationale` are kept in the detail.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from dagster import ConfigurableResource

if TYPE_CHECKING:  # the clients are imported when a judge is asked, not when the code location loads
    import httpx
    import openai

VERIFIER = "judge_rubric"
RUBRIC_VERSION = "1"
REWARD_VERIFIER = "judge_reward"
REWARD_VERSION = "1"
MATH_JUDGE = "math_judge"
MATH_JUDGE_VERSION = "1"
CRITERIA = ("correctness", "helpfulness", "coherence")
MAX_POINTS = 4

SYSTEM_PROMPT = (
    "You are a strict grader of answers to user requests. Score the assistant's answer on three criteria, each an "
    "integer from 0 (worst) to 4 (best):\n"
    "- correctness: factual and logical accuracy, and whether the request is actually solved;\n"
    "- helpfulness: how completely and directly it addresses what the user asked;\n"
    "- coherence: clarity, structure and consistency of the writing.\n"
    'Reply with only a JSON object: {"correctness": <0-4>, "helpfulness": <0-4>, "coherence": <0-4>, '
    '"rationale": "<one sentence>"}'
)
USER_TEMPLATE = "## User request\n{prompt}\n\n## Assistant answer\n{answer}"
MATH_SYSTEM_PROMPT = (
    "You check math answers. Given a problem, its reference answer and a candidate's final answer, decide whether "
    "the candidate's final answer is mathematically equivalent to the reference (same value or set, any correct "
    "form; units and formatting do not matter; a different or partial answer is not equivalent). Reply with only "
    'a JSON object: {"equivalent": true|false, "rationale": "<one sentence>"}'
)
MATH_USER_TEMPLATE = "## Problem\n{prompt}\n\n## Reference answer\n{reference}\n\n## Candidate's answer\n{answer}"

_THINK = re.compile(r"\A\s*<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"\A```(?:json)?\s*\n?(.*?)\n?```\Z", re.DOTALL)


class JudgeParseError(ValueError):
    pass


@dataclass(frozen=True)
class JudgeItem:
    prompt: str
    answer: str


@dataclass(frozen=True)
class MathJudgeItem:
    prompt: str
    reference: str
    answer: str


@dataclass(frozen=True)
class JudgeVerdict:
    verifier: str
    verifier_version: str
    passed: bool
    verdict: str  # "pass" | "fail" | "judge_error" | "unverified"
    reason: str
    score: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_object(text: str) -> dict[str, Any]:
    """The one JSON object of a judge reply (after an optional closed <think> block, optionally fenced)."""
    body = _THINK.sub("", text or "", count=1).strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise JudgeParseError(f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise JudgeParseError("not a JSON object")
    return data


def parse_rubric(text: str) -> dict[str, Any]:
    """The judge's rubric JSON, or JudgeParseError; see the module docstring for what is accepted."""
    data = _json_object(text)
    for name in CRITERIA:
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise JudgeParseError(f"{name} missing or not an integer")
        if not 0 <= value <= MAX_POINTS:
            raise JudgeParseError(f"{name}={value} outside 0..{MAX_POINTS}")
    return data


def parse_equivalence(text: str) -> bool:
    """The math judge's `equivalent` flag, or JudgeParseError (same envelope rules as the rubric)."""
    data = _json_object(text)
    if not isinstance(data.get("equivalent"), bool):
        raise JudgeParseError("equivalent missing or not a boolean")
    return data["equivalent"]


def rubric_score(data: dict[str, Any]) -> float:
    return sum(data[name] for name in CRITERIA) / (MAX_POINTS * len(CRITERIA))


JudgeMode = Literal["rubric", "reward"]
JUDGE_MODES: tuple[JudgeMode, ...] = get_args(JudgeMode)


class JudgeResource(ConfigurableResource):
    """Rubric judge behind any OpenAI-compatible chat endpoint, or a reward model behind a pooling endpoint;
    `base_url` None means no judge is configured."""

    base_url: str | None = None
    mode: JudgeMode = "rubric"  # "rubric" (chat LLM judge) or "reward" (reward model)
    # Where the reward model answers, relative to the server root (base_url without its /v1).
    reward_path: str = "/pooling"
    reward_sigmoid: bool = True
    model: str = "judge"
    api_key_env: str = "AMD_JUDGE_API_KEY"
    pass_threshold: float = 0.75
    max_concurrency: int = 8
    # Attempts per request, the first included. The openai client retries 429, 5xx, connection errors and
    # timeouts with backoff (honouring Retry-After).
    request_attempts: int = 5
    request_timeout_s: float = 120.0
    temperature: float = 0.0
    max_tokens: int = 1024
    max_answer_chars: int = 16000
    json_mode: bool = False
    # Ask the judge about math-verify's mismatches (its own verifier, `math_judge`); only with a judge configured.
    math_second_opinion: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    @property
    def verifier(self) -> str:
        return REWARD_VERIFIER if self.mode == "reward" else VERIFIER

    @property
    def verifier_version(self) -> str:
        # Model, prompt and threshold all change verdicts, so each gets a new version and a re-verification.
        if self.mode == "reward":
            key = json.dumps([self.model, self.pass_threshold, self.reward_sigmoid, self.max_answer_chars])
            return f"{REWARD_VERSION}+{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        key = json.dumps([SYSTEM_PROMPT, USER_TEMPLATE, self.model, self.pass_threshold, self.max_answer_chars])
        return f"{RUBRIC_VERSION}+{hashlib.sha256(key.encode()).hexdigest()[:8]}"

    @property
    def math_judge_version(self) -> str:
        key = json.dumps([MATH_SYSTEM_PROMPT, MATH_USER_TEMPLATE, self.model, self.max_answer_chars])
        return f"{MATH_JUDGE_VERSION}+{hashlib.sha256(key.encode()).hexdigest()[:8]}"

    @property
    def second_opinion(self) -> bool:
        return self.configured and self.math_second_opinion

    def compare_answers(self, items: Sequence[MathJudgeItem]) -> list[JudgeVerdict]:
        """Second opinions on math mismatches, in order; `unverified` for all when no judge is configured."""
        if not self.second_opinion:
            unverified = JudgeVerdict(MATH_JUDGE, self.math_judge_version, False, "unverified", "no judge", None)
            return [unverified for _ in items]
        return asyncio.run(self._gather(items, self._compare_one))

    def judge(self, items: Sequence[JudgeItem]) -> list[JudgeVerdict]:
        """Verdicts in the order of `items`. Synchronous: call it from an asset, not from a running event loop."""
        if not self.configured:
            return [self._unverified() for _ in items]
        return asyncio.run(self.judge_async(items))

    async def judge_async(self, items: Sequence[JudgeItem]) -> list[JudgeVerdict]:
        if not self.configured:
            return [self._unverified() for _ in items]
        if self.mode == "reward":
            return await self._rewards(items)
        return await self._gather(items, self._judge_one)

    async def _gather(self, items: Sequence[Any], ask: Any) -> list[JudgeVerdict]:
        import openai

        slots = asyncio.Semaphore(self.max_concurrency)
        client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=os.environ.get(self.api_key_env) or "EMPTY",
            max_retries=max(self.request_attempts - 1, 0),
            timeout=self.request_timeout_s,
        )
        async with client:

            async def one(item: Any) -> JudgeVerdict:
                async with slots:
                    return await ask(client, item)

            return list(await asyncio.gather(*(one(item) for item in items)))

    def _unverified(self) -> JudgeVerdict:
        return JudgeVerdict(self.verifier, self.verifier_version, False, "unverified", "no judge configured", None)

    def _verdict(
        self,
        verdict: str,
        reason: str,
        score: float | None,
        detail: dict[str, Any],
        started: float,
        verifier: str = VERIFIER,
    ) -> JudgeVerdict:
        passed = verdict == "pass"
        duration = round(time.monotonic() - started, 4)
        version = self.math_judge_version if verifier == MATH_JUDGE else self.verifier_version
        return JudgeVerdict(verifier, version, passed, verdict, reason, score, detail, duration)

    async def _ask(self, client: openai.AsyncOpenAI, system: str, user: str) -> str:
        """The judge's reply text; raises openai.APIError once the client's retries are spent."""
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if self.json_mode else {}
        reply = await client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            **extra,
        )
        return (reply.choices[0].message.content if reply.choices else None) or ""

    async def _compare_one(self, client: openai.AsyncOpenAI, item: MathJudgeItem) -> JudgeVerdict:
        import openai

        started = time.monotonic()
        answer = item.answer[-self.max_answer_chars :]  # the final answer sits at the end
        content = MATH_USER_TEMPLATE.format(prompt=item.prompt, reference=item.reference, answer=answer)
        try:
            text = await self._ask(client, MATH_SYSTEM_PROMPT, content)
        except openai.APIError as exc:
            reason = f"request_failed: {type(exc).__name__}"
            return self._verdict("judge_error", reason, None, {"error": str(exc)[:500]}, started, MATH_JUDGE)
        try:
            equivalent = parse_equivalence(text)
        except JudgeParseError as exc:
            return self._verdict("judge_error", f"unparseable: {exc}", None, {"raw": text[:500]}, started, MATH_JUDGE)
        detail = {"raw": text[:500]}
        if equivalent:
            return self._verdict("pass", "judge_equivalent", 1.0, detail, started, MATH_JUDGE)
        return self._verdict("fail", "judge_not_equivalent", 0.0, detail, started, MATH_JUDGE)

    async def _judge_one(self, client: openai.AsyncOpenAI, item: JudgeItem) -> JudgeVerdict:
        import openai

        started = time.monotonic()
        content = USER_TEMPLATE.format(prompt=item.prompt, answer=item.answer[: self.max_answer_chars])
        try:
            text = await self._ask(client, SYSTEM_PROMPT, content)
        except openai.APIError as exc:
            reason = f"request_failed: {type(exc).__name__}"
            return self._verdict("judge_error", reason, None, {"error": str(exc)[:500]}, started)
        try:
            data = parse_rubric(text)
        except JudgeParseError as exc:
            return self._verdict("judge_error", f"unparseable: {exc}", None, {"raw": text[:500]}, started)
        score = rubric_score(data)
        detail = {
            **{name: data[name] for name in CRITERIA},
            "threshold": self.pass_threshold,
            "rationale": str(data.get("rationale", ""))[:500],
        }
        if score >= self.pass_threshold:
            return self._verdict("pass", "ok", score, detail, started)
        return self._verdict("fail", "below_threshold", score, detail, started)

    async def _rewards(self, items: Sequence[JudgeItem]) -> list[JudgeVerdict]:
        import httpx

        root = (self.base_url or "").rstrip("/").removesuffix("/v1")
        headers = {"Authorization": f"Bearer {os.environ.get(self.api_key_env) or 'EMPTY'}"}
        slots = asyncio.Semaphore(self.max_concurrency)
        async with httpx.AsyncClient(base_url=root, headers=headers, timeout=self.request_timeout_s) as client:

            async def one(item: JudgeItem) -> JudgeVerdict:
                async with slots:
                    return await self._reward_one(client, item)

            return list(await asyncio.gather(*(one(item) for item in items)))

    async def _reward_one(self, client: httpx.AsyncClient, item: JudgeItem) -> JudgeVerdict:
        import httpx

        started = time.monotonic()
        messages = [
            {"role": "user", "content": item.prompt},
            {"role": "assistant", "content": item.answer[: self.max_answer_chars]},
        ]
        body = {"model": self.model, "messages": messages}
        last = max(self.request_attempts, 1) - 1
        for attempt in range(last + 1):
            try:
                reply = await client.post(self.reward_path, json=body)
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if reply.status_code == 200:
                    break
                error = f"HTTP {reply.status_code}: {reply.text[:200]}"
                if reply.status_code not in (408, 409, 429) and reply.status_code < 500:
                    attempt = last  # a bad request does not get better by asking again
            if attempt == last:
                return self._verdict("judge_error", "request_failed", None, {"error": error[:500]}, started)
            await asyncio.sleep(min(0.5 * 2**attempt, 8.0))
        try:
            raw = _last_number(reply.json()["data"][0]["data"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            reason = f"unparseable: {type(exc).__name__}"
            return self._verdict("judge_error", reason, None, {"raw": reply.text[:500]}, started)
        score = 1.0 / (1.0 + math.exp(-raw)) if self.reward_sigmoid else raw
        detail = {"reward": raw, "threshold": self.pass_threshold}
        verdict, reason = ("pass", "ok") if score >= self.pass_threshold else ("fail", "below_threshold")
        return self._verdict(verdict, reason, score, detail, started, self.verifier)


def _last_number(data: Any) -> float:
    """A pooling reply's reward: a number, or the last number of (nested) per-token lists."""
    while isinstance(data, list):
        data = data[-1]
    if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
        raise ValueError(f"not a finite number: {data!r}")
    return float(data)
