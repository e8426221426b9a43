"""Teacher backend for OpenAI-compatible servers (`vllm serve`, SGLang, hosted APIs), spread over several URLs."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from typing import Any

from resources.teacher.records import SamplingParams, TeacherRequest, TeacherResult, call_fields, completed, failed
from resources.teacher.retry import MALFORMED, TIMEOUT, RetryPolicy, TeacherCallError
from resources.teacher.transports import ChatTransport


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class OpenAICompatibleTeacher:
    backend = "openai"
    group_size = 1

    def __init__(
        self,
        transports: Sequence[ChatTransport],
        model: str,
        sampling: SamplingParams,
        policy: RetryPolicy,
        max_concurrency: int,
        request_timeout_s: float,
        rng: random.Random | None = None,
    ):
        if not transports:
            raise ValueError("an OpenAI-compatible teacher needs at least one base URL")
        self.transports = list(transports)
        self.model = model
        self.sampling = sampling
        self.policy = policy
        self.max_in_flight = max_concurrency
        self.request_timeout_s = request_timeout_s
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(max_concurrency)
        self._next = 0
        self._body = {"model": model, **sampling.as_dict()}

    async def complete(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        return [await self.complete_one(request) for request in requests]

    async def complete_one(self, request: TeacherRequest) -> TeacherResult:
        # The slot is held through backoff: while a server says "slow down", fewer requests go out.
        async with self._slots:
            return await self._attempts(request)

    async def _attempts(self, request: TeacherRequest) -> TeacherResult:
        body = {**self._body, "messages": request.messages}
        started = time.monotonic()
        # Consecutive requests start on consecutive servers; a retry moves on to the next one (failover).
        first = self._next
        self._next = (self._next + 1) % len(self.transports)
        attempt = 0
        while True:
            attempt += 1
            transport = self.transports[(first + attempt - 1) % len(self.transports)]
            sent = time.monotonic()
            try:
                async with asyncio.timeout(self.request_timeout_s):
                    payload = await transport.chat(body, f"{request.key}-{attempt}")
                return self._result(request, payload, transport.endpoint, attempt, sent, started)
            except TimeoutError:
                error = TeacherCallError(TIMEOUT, f"no answer within {self.request_timeout_s:g}s")
            except TeacherCallError as call_error:
                error = call_error
            common = self._common(transport.endpoint, attempt, sent, started)
            if not error.retryable or attempt >= self.policy.request_attempts:
                return failed(
                    request.key,
                    error_class=error.error_class,
                    error=error.describe(),
                    retryable=error.retryable,
                    **common,
                )
            await asyncio.sleep(self.policy.delay(attempt, error.retry_after, self._rng))

    def _common(self, endpoint: str, attempt: int, sent: float, started: float) -> dict[str, Any]:
        return call_fields(self.backend, self.model, self.sampling, attempt, sent, started, endpoint)

    def _result(
        self, request: TeacherRequest, payload: dict[str, Any], endpoint: str, attempt: int, sent: float, started: float
    ) -> TeacherResult:
        choices = payload.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
        message = choice.get("message") if choice else None
        if not isinstance(message, dict):
            raise TeacherCallError(MALFORMED, f"no choices[0].message in the response (keys {sorted(payload)[:8]})")
        content = message.get("content")
        # vLLM's reasoning parser and DeepSeek's API use `reasoning_content`; newer servers say `reasoning`.
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        if not isinstance(content, str | None) or not isinstance(reasoning, str | None):
            raise TeacherCallError(MALFORMED, "message content is not text")
        usage = payload.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        return completed(
            request.key,
            content=content,
            reasoning=reasoning,
            finish_reason=choice.get("finish_reason") if choice else None,
            prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
            completion_tokens=_int_or_none(usage.get("completion_tokens")),
            served_model=payload.get("model") if isinstance(payload.get("model"), str) else None,
            **self._common(endpoint, attempt, sent, started),
        )

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()
