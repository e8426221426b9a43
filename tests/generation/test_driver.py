"""The checkpointed driver with a scripted teacher: the uncommitted window, timed commits, failing teachers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator, Sequence

import pyarrow as pa
import pytest

from amd_assets.generation.driver import CheckpointedGeneration, CheckpointPolicy, TeacherUnavailableError
from amd_assets.generation.selection import PendingResponse
from resources.teacher import SamplingParams, TeacherRequest, TeacherResult
from resources.teacher.records import completed, failed


class ScriptedTeacher:
    backend = "openai"
    model = "m"
    sampling = SamplingParams()

    def __init__(self, in_flight: int, latency: float = 0.0, group_size: int = 1, raise_at: int | None = None):
        self.max_in_flight = in_flight
        self.group_size = group_size
        self.latency = latency
        self.raise_at = raise_at
        self.started = 0
        self.committed = 0
        self.worst_uncommitted = 0
        self.rng = random.Random(3)

    async def complete(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        self.started += len(requests)
        self.worst_uncommitted = max(self.worst_uncommitted, self.started - self.committed)
        if self.raise_at is not None and self.started >= self.raise_at:
            raise RuntimeError("a bug in the backend")
        await asyncio.sleep(self.latency * self.rng.random())
        common = {"backend": "openai", "model": "m", "sampling": self.sampling, "attempts": 1}
        return [
            failed(r.key, error_class="server_error", error="down", retryable=True, latency_s=0, elapsed_s=0, **common)
            if "down" in r.messages[0]["content"]
            else completed(
                r.key,
                content="<think>t</think>a",
                reasoning=None,
                finish_reason="stop",
                prompt_tokens=1,
                completion_tokens=2,
                latency_s=0,
                elapsed_s=0,
                **common,
            )
            for r in requests
        ]

    async def aclose(self) -> None:
        pass


def pending(count: int, text: str = "q") -> Iterator[PendingResponse]:
    for index in range(count):
        request = TeacherRequest(f"{index:024x}", [{"role": "user", "content": f"{text} {index}"}])
        yield PendingResponse(request, f"{index:024x}", "s", "s.jsonl", index + 1, "math", 0)


def run(teacher: ScriptedTeacher, policy: CheckpointPolicy, items: Iterator[PendingResponse]) -> list[int]:
    commits: list[int] = []

    def write(batch: pa.RecordBatch) -> int:
        teacher.committed += batch.num_rows
        commits.append(batch.num_rows)
        return len(commits)

    driver = CheckpointedGeneration(teacher, write, policy, "0" * 12, "run")
    asyncio.run(driver.run(items))
    return commits


@pytest.mark.parametrize("every,in_flight", [(16, 4), (10, 10), (5, 8)])
def test_never_more_than_one_window_is_paid_but_uncommitted(every, in_flight):
    teacher = ScriptedTeacher(in_flight, latency=0.002)
    commits = run(teacher, CheckpointPolicy(every=every), pending(300))
    assert sum(commits) == 300
    assert teacher.worst_uncommitted <= every
    assert max(commits) <= every


def test_an_engine_batch_larger_than_the_window_is_still_one_checkpoint():
    teacher = ScriptedTeacher(in_flight=8, group_size=8)
    commits = run(teacher, CheckpointPolicy(every=3), pending(20))
    assert commits == [8, 8, 4]


def test_slow_teachers_still_checkpoint_on_time():
    teacher = ScriptedTeacher(in_flight=1, latency=0.08)
    commits = run(teacher, CheckpointPolicy(every=1000, seconds=0.05), pending(6))
    assert sum(commits) == 6 and len(commits) >= 3


def test_a_backend_bug_fails_the_run_after_committing_what_was_received():
    teacher = ScriptedTeacher(in_flight=1, raise_at=5)
    with pytest.raises(RuntimeError, match="a bug in the backend"):
        run(teacher, CheckpointPolicy(every=100), pending(10))
    assert teacher.committed == 4


def test_the_circuit_breaker_counts_only_failures_in_a_row():
    def mixed() -> Iterator[PendingResponse]:
        for index, item in enumerate(pending(12, "down")):
            yield item if index % 3 else next(pending(1, "fine"))

    teacher = ScriptedTeacher(in_flight=1)
    assert sum(run(teacher, CheckpointPolicy(every=4, max_consecutive_failures=3), mixed())) == 12

    teacher = ScriptedTeacher(in_flight=1)
    with pytest.raises(TeacherUnavailableError, match="3 requests in a row failed"):
        run(teacher, CheckpointPolicy(every=100, max_consecutive_failures=3), pending(12, "down"))
    assert teacher.committed == 3
