"""Feed pending requests to a teacher and append the results to Delta in checkpoints.

The checkpoint window bounds what a crash can cost: a request is only started while fewer than `every` responses
are paid for but not yet committed (in flight or buffered), and the buffer is committed as soon as no further
request may start. So a SIGKILL at any moment loses at most `every` responses, and the re-run asks again for
exactly those, nothing committed. Failed requests are results like any other and are committed with them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from amd_assets.generation.selection import ORIGIN, PendingResponse
from amd_assets.generation.tables import TEACHER_RESPONSES
from resources.teacher.base import Teacher
from resources.teacher.records import TeacherResult
from resources.teacher.retry import is_transient

Writer = Callable[[pa.RecordBatch], int]
Outcome = tuple[list[PendingResponse], list[TeacherResult] | BaseException]


class TeacherUnavailableError(RuntimeError):
    """So many requests in a row failed for reasons unrelated to the request that the teacher must be down."""


@dataclass(frozen=True)
class CheckpointPolicy:
    every: int = 512
    seconds: float = 300.0  # also commit a partial buffer this often, so slow teachers still checkpoint
    max_consecutive_failures: int = 100  # 0 disables the circuit breaker
    limit: int | None = None  # stop after this many requests (smoke runs)


@dataclass
class GenerationStats:
    responses: int = 0
    ok: int = 0
    truncated: int = 0
    failed: int = 0
    requests_sent: int = 0  # HTTP attempts, retries included
    prompt_tokens: int = 0
    completion_tokens: int = 0
    checkpoints: int = 0
    delta_version: int | None = None
    seconds: float = 0.0
    failures_by_class: Counter[str] = field(default_factory=Counter)

    def count(self, result: TeacherResult) -> None:
        self.responses += 1
        self.requests_sent += result.attempts
        self.prompt_tokens += result.prompt_tokens or 0
        self.completion_tokens += result.completion_tokens or 0
        if result.status == "failed":
            self.failed += 1
            self.failures_by_class[result.error_class or "unknown"] += 1
        elif result.status == "truncated":
            self.truncated += 1
        else:
            self.ok += 1


def response_row(pending: PendingResponse, result: TeacherResult, prompt_version: str, run_id: str) -> dict[str, Any]:
    return {
        "response_id": result.key,
        "problem_id": pending.problem_id,
        "source": pending.source,
        "source_file": pending.source_file,
        "source_row": pending.source_row,
        "origin": ORIGIN,
        "sample_index": pending.sample_index,
        "category": pending.category,
        "status": result.status,
        "truncated": result.truncated,
        "text": result.text,
        "reasoning": result.reasoning,
        "think": result.think,
        "answer": result.answer,
        "split_method": result.split_method,
        "finish_reason": result.finish_reason,
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "latency_s": result.latency_s,
        "elapsed_s": result.elapsed_s,
        "attempts": result.attempts,
        "error_class": result.error_class,
        "error": result.error,
        "retryable": result.retryable,
        "backend": result.backend,
        "model": result.model,
        "served_model": result.served_model,
        "endpoint": result.endpoint,
        "sampling_params": result.sampling.canonical_json(),
        "prompt_version": prompt_version,
        "run_id": run_id,
        "created_at": datetime.now(UTC),
    }


class CheckpointedGeneration:
    def __init__(
        self,
        teacher: Teacher,
        write: Writer,
        policy: CheckpointPolicy,
        prompt_version: str,
        run_id: str,
        log: Callable[[str], None] = lambda message: None,
    ):
        self.teacher = teacher
        self.write = write
        self.policy = policy
        self.prompt_version = prompt_version
        self.run_id = run_id
        self.log = log
        self.stats = GenerationStats()
        # A vLLM batch is indivisible: the window must hold at least one.
        self.window = max(policy.every, teacher.group_size)
        self._buffer: list[dict[str, Any]] = []
        self._uncommitted = 0
        self._groups = 0  # groups in flight, counted here rather than from tasks: their callbacks run late
        self._consecutive_failures = 0
        self._last_failure = ""

    async def run(self, pending: Iterator[PendingResponse]) -> GenerationStats:
        started = time.monotonic()
        requests = itertools.islice(pending, self.policy.limit) if self.policy.limit is not None else pending
        done: asyncio.Queue[Outcome] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        max_groups = max(1, self.teacher.max_in_flight // self.teacher.group_size)
        exhausted = False
        last_commit = time.monotonic()
        try:
            while True:
                while not exhausted and self._groups < max_groups and self._may_start():
                    group = list(itertools.islice(requests, self.teacher.group_size))
                    if not group:
                        exhausted = True
                        break
                    self._groups += 1
                    self._uncommitted += len(group)
                    task = asyncio.create_task(self._complete(group, done))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if self._groups == 0 and not self._buffer:
                    break
                if self._groups:
                    wait = max(self.policy.seconds - (time.monotonic() - last_commit), 0.0) if self._buffer else None
                    with contextlib.suppress(TimeoutError):
                        self._collect(await asyncio.wait_for(done.get(), wait))
                    while not done.empty():
                        self._collect(done.get_nowait())
                due = time.monotonic() - last_commit >= self.policy.seconds
                if self._buffer and (not self._may_start() or due or self._groups == 0):
                    await self._commit()
                    last_commit = time.monotonic()
                self._check_breaker()
        finally:
            for task in tasks:
                task.cancel()
            # Responses already received are paid for: keep them even when the run is failing.
            while not done.empty():
                group, outcome = done.get_nowait()
                if not isinstance(outcome, BaseException):
                    by_key = {pending.request.key: pending for pending in group}
                    self._buffer.extend(self._row(by_key[result.key], result) for result in outcome)
            if self._buffer:
                await self._commit()
            self.stats.seconds = time.monotonic() - started
        return self.stats

    def _may_start(self) -> bool:
        return self._uncommitted + self.teacher.group_size <= self.window or self._uncommitted == 0

    async def _complete(self, group: list[PendingResponse], done: asyncio.Queue[Outcome]) -> None:
        try:
            outcome: list[TeacherResult] | BaseException = await self.teacher.complete([p.request for p in group])
        except Exception as error:  # a bug, not a bad response: surface it in the driver loop
            outcome = error
        done.put_nowait((group, outcome))

    def _collect(self, item: Outcome) -> None:
        group, outcome = item
        self._groups -= 1
        if isinstance(outcome, BaseException):
            self._uncommitted -= len(group)
            raise outcome
        by_key = {pending.request.key: pending for pending in group}
        for result in outcome:
            self._buffer.append(self._row(by_key[result.key], result))
            # A request that is itself bad says nothing about the teacher; a transient failure (server down,
            # engine dead) does, however many requests of one engine batch it failed at once.
            if result.status == "failed" and is_transient(result.error_class, result.error):
                self._consecutive_failures += 1
                self._last_failure = f"{result.error_class}: {result.error}"
            else:
                self._consecutive_failures = 0

    def _row(self, pending: PendingResponse, result: TeacherResult) -> dict[str, Any]:
        self.stats.count(result)
        return response_row(pending, result, self.prompt_version, self.run_id)

    def _check_breaker(self) -> None:
        limit = self.policy.max_consecutive_failures
        if limit and self._consecutive_failures >= limit:
            raise TeacherUnavailableError(
                f"{self._consecutive_failures} requests in a row failed (last: {self._last_failure}); the teacher "
                "looks unavailable. Responses received so far are committed; re-run when it is back."
            )

    async def _commit(self) -> None:
        rows, self._buffer = self._buffer, []
        batch = pa.RecordBatch.from_pylist(rows, schema=TEACHER_RESPONSES.schema)
        # delta-rs blocks for the whole commit; requests in flight keep running meanwhile.
        self.stats.delta_version = await asyncio.to_thread(self.write, batch)
        self._uncommitted -= len(rows)
        self.stats.checkpoints += 1
        self.log(
            f"checkpoint {self.stats.checkpoints}: {len(rows)} responses committed ({self.stats.responses} so far)"
        )
