"""The math-verify worker pool: every pair judged in a worker *process* under a deadline enforced from outside.

math-verify relies on `signal.alarm`, and sympy can spin inside C code where no signal lands (`9^{9^{9^9}}`), so
every item (answer extraction included: responses are untrusted text) runs in a worker process whose deadline,
in CPU time, is enforced from the parent: a worker that overruns or dies is killed and replaced, and its item gets
`timeout`. math-verify's own alarms are disabled in the workers so that the only timeout is ours and a slow item
is never mislabelled `mismatch`. Work travels in chunks (one round trip per chunk); workers fork from a server
that warmed math-verify up once (`warmup`). Which pool a run uses, and when it starts, is `leases`' business.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any

from amd_assets.verification.math.answers import Answer
from amd_assets.verification.math.verdict import MathVerdict, _Judge, _math_verify_verdict

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# --- the worker side -------------------------------------------------------------------------------------------
# A worker takes a chunk of pairs per message and answers with the chunk's results: one round trip per chunk, not
# per pair. While it works it publishes which item it is on and when that item started (its own CPU and the
# monotonic clock) in shared memory, so the parent can hold each item to its deadline without a message per item.
# Writes go times first, position last: a reader that sees a new position also sees that item's start times.
_POSITION, _CPU_START, _WALL_START = 0, 1, 2
_CHUNK_BASE = 1 << 20  # position = chunk number * _CHUNK_BASE + item index in the chunk (exact in a double)
WARMUP_MODULE = "amd_assets.verification.math.warmup"


def _worker_main(conn: Connection, progress: Any, fast_paths: bool, memo_size: int) -> None:
    # Only the parent's deadline applies (see module docstring); silence math-verify's warning about it.
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    judge = _Judge(fast_paths, None, memo_size)
    # The first LaTeX parse builds the ANTLR parser: pay it before taking work, so a fresh replacement's warm-up
    # is never charged to an item's deadline (instant when the forkserver already warmed math-verify up).
    _math_verify_verdict(Answer("1"), "1", None)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        chunk_number, pairs = job
        conn.send([_judge_item(judge, progress, chunk_number * _CHUNK_BASE + i, pair) for i, pair in enumerate(pairs)])


def _judge_item(judge: _Judge, progress: Any, position: int, pair: tuple[str, str]) -> tuple[Any, ...]:
    progress[_CPU_START] = time.process_time()
    progress[_WALL_START] = started = time.monotonic()
    progress[_POSITION] = position
    try:
        result = judge(*pair)
    except Exception as exc:  # a math-verify bug on one item must not kill the worker
        result = ("parse_error", f"math-verify raised {type(exc).__name__}", None, "math_verify")
    return (*result, time.monotonic() - started)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (0.0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


# --- the pool -------------------------------------------------------------------------------------------------

Item = tuple[int, str, str]  # (index in the stream, response text, reference)


@dataclass
class _Job:
    number: int  # chunk number, as the worker publishes it
    items: list[Item]
    abandoned: bool = False  # its stream was closed: its verdicts go nowhere


@dataclass
class _Worker:
    process: Any
    conn: Connection
    progress: Any  # shared doubles: position, CPU and wall clock at the start of the current item
    job: _Job | None = None
    ready: bool = False

    def current(self) -> tuple[int, float, float] | None:
        """(index in the job, CPU seconds, wall seconds) of the item the worker is on; None before it starts the
        job. CPU time is this process's (ticks) against the worker's own clock at the item's start."""
        assert self.job is not None
        while True:
            position = self.progress[_POSITION]
            cpu_start, wall_start = self.progress[_CPU_START], self.progress[_WALL_START]
            if self.progress[_POSITION] == position:
                break
        number, index = divmod(int(position), _CHUNK_BASE)
        if number != self.job.number:
            return None
        cpu = max(0.0, _cpu_seconds(self.process.pid) - cpu_start)
        return index, cpu, time.monotonic() - wall_start


class MathVerifierPool:
    """Process pool running extraction and math-verify with a hard per-item deadline enforced from outside.

    The deadline is CPU time of the worker on that item (`timeout_s`), so a verdict never depends on how busy
    the machine is; wall-clock time is only a generous backstop (`wall_backstop_s`, for a worker that blocks
    without computing), reported with its own reason. Work goes out in chunks of up to `chunk_size` pairs (one
    round trip per chunk); a worker killed on an item loses the chunk's other results, which are simply computed
    again (verdicts are deterministic). Use as a context manager; starting waits for every worker up to
    `startup_timeout_s` (wall clock: only a backstop for a machine too loaded to start them) and then raises
    `MathPoolStartError`. `verify_many` streams verdicts in input order while reading at most `lookahead` pairs
    ahead, so a generator over millions of pairs never sits in memory.
    """

    def __init__(
        self,
        workers: int = 2,
        timeout_s: float = 5.0,
        *,
        fast_paths: bool = True,
        lookahead: int | None = None,
        memo_size: int = 100_000,
        wall_backstop_s: float | None = None,
        chunk_size: int = 16,
        startup_timeout_s: float = 600.0,
    ) -> None:
        if workers < 1 or timeout_s <= 0 or chunk_size < 1 or startup_timeout_s <= 0:
            raise ValueError("workers and chunk_size must be >= 1, timeout_s and startup_timeout_s > 0")
        self.workers = workers
        self.timeout_s = timeout_s
        self.wall_backstop_s = wall_backstop_s or max(4 * timeout_s, timeout_s + 30.0)
        self.fast_paths = fast_paths
        self.chunk_size = chunk_size
        self.lookahead = lookahead or max(64, 4 * workers * chunk_size)
        self.startup_timeout_s = startup_timeout_s
        self.replaced_workers = 0
        self.memo_size = memo_size
        # forkserver: cheap replacements without forking a threaded parent. The server imports math-verify and
        # warms it up once (WARMUP_MODULE), so every worker, replacements included, starts with warm parser and
        # sympy caches instead of paying that on its first items.
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload([WARMUP_MODULE])
        self._pool: list[_Worker] = []
        self._chunks = 0

    @property
    def started(self) -> bool:
        return bool(self._pool)

    def __enter__(self) -> MathVerifierPool:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start the workers and wait until each is ready (imports and warm-up are paid here, not by items)."""
        self._pool = [self._spawn() for _ in range(self.workers)]
        deadline = time.monotonic() + self.startup_timeout_s
        while not all(w.ready for w in self._pool):
            if time.monotonic() > deadline:
                ready = sum(w.ready for w in self._pool)
                self.close()
                raise MathPoolStartError(
                    f"math-verify workers did not start within {self.startup_timeout_s:g} s ({ready} of "
                    f"{self.workers} ready): the machine is too loaded, or raise AMD_MATH_STARTUP_TIMEOUT_S"
                )
            self._collect({}, max_wait_s=max(0.01, deadline - time.monotonic()))

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        for worker in self._pool:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + 1.0
        for worker in self._pool:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._pool = []

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe()
        progress = self._ctx.RawArray("d", 3)
        progress[_POSITION] = -1.0
        args = (child_conn, progress, self.fast_paths, self.memo_size)
        process = self._ctx.Process(target=_worker_main, args=args, daemon=True)
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn, progress)

    def _replace(self, worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join()
        worker.conn.close()
        self._pool[self._pool.index(worker)] = self._spawn()
        self.replaced_workers += 1

    def verify(self, response_text: str, reference: str) -> MathVerdict:
        """Verify a single pair (convenience around `verify_many`)."""
        return next(self.verify_many([(response_text, reference)]))

    def verify_many(self, pairs: Iterable[tuple[str, str]]) -> Iterator[MathVerdict]:
        """Verdicts for `(response_text, reference_answer)` pairs, in input order, streaming.

        One stream at a time per pool. Pairs are read at most `lookahead` ahead of the last verdict yielded.
        """
        if not self._pool:
            raise RuntimeError("MathVerifierPool must be entered (use `with MathVerifierPool() as pool:`)")
        source = enumerate(pairs)
        exhausted = False
        done: dict[int, MathVerdict] = {}
        queue: deque[Item] = deque()
        next_out = 0
        next_in = 0
        try:
            while True:
                while not exhausted and next_in - next_out < self.lookahead:
                    try:
                        index, (response_text, reference) = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    next_in = index + 1
                    queue.append((index, response_text, reference))
                self._dispatch(queue)
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                if exhausted and next_out == next_in:
                    return
                if next_out not in done:
                    self._collect(done, queue)
        finally:
            # Abandoned mid-stream: chunks still in flight belong to no caller. Let them finish (or hit their
            # deadline) so the worker is not reused early, but send their verdicts nowhere.
            for worker in self._pool:
                if worker.job is not None:
                    worker.job.abandoned = True

    def _dispatch(self, queue: deque[Item]) -> None:
        for worker in self._pool:
            if not queue:
                return
            if not worker.ready or worker.job is not None:
                continue
            # Share what is queued over all workers (busy or starting ones too): a short queue goes out in small
            # chunks, so the end of a stream or a worker still starting never leaves one worker with everything.
            size = min(self.chunk_size, -(-len(queue) // self.workers))
            items = [queue.popleft() for _ in range(size)]
            self._chunks += 1
            job = _Job(self._chunks, items)
            try:
                worker.conn.send((job.number, [(text, reference) for _, text, reference in items]))
            except OSError:  # died while idle: nothing was started, give the items to the replacement
                queue.extendleft(reversed(items))
                self._replace(worker)
                continue
            worker.job = job

    def _wait_s(self, busy: list[_Worker]) -> float | None:
        """How long nothing can overrun: CPU time accrues no faster than wall time (one thread per worker)."""
        if not busy:
            return None
        left = []
        for worker in busy:
            current = worker.current()
            cpu, wall = (0.0, 0.0) if current is None else current[1:]
            left.append(min(self.timeout_s - cpu, self.wall_backstop_s - wall))
        return max(0.01, min(left))

    def _collect(
        self, done: dict[int, MathVerdict], queue: deque[Item] | None = None, max_wait_s: float | None = None
    ) -> None:
        """Wait for the next chunk result, deadline or crash, and record the verdicts it settles."""
        starting = [w for w in self._pool if not w.ready]
        busy = [w for w in self._pool if w.job is not None]
        if not busy and not starting:
            return
        watched = busy + starting
        wait_s = self._wait_s(busy)
        if max_wait_s is not None:
            wait_s = max_wait_s if wait_s is None else min(wait_s, max_wait_s)
        ready = wait([w.conn for w in watched] + [w.process.sentinel for w in watched], wait_s)
        for worker in starting:
            if worker.conn in ready:
                try:
                    worker.ready = worker.conn.recv() == "ready"
                except (EOFError, OSError):
                    self._replace(worker)  # died while starting: nothing was lost, try again
            elif worker.process.sentinel in ready:
                self._replace(worker)
        for worker in busy:
            self._settle(worker, ready, done, queue if queue is not None else deque())

    def _settle(self, worker: _Worker, ready: list[Any], done: dict[int, MathVerdict], queue: deque[Item]) -> None:
        job = worker.job
        assert job is not None
        results = None
        if worker.conn in ready:
            with contextlib.suppress(EOFError, OSError):
                results = worker.conn.recv()
        if results is not None:
            worker.job = None
            if not job.abandoned:
                for (index, _, _), result in zip(job.items, results, strict=True):
                    verdict, reason, extracted, path, duration_s = result
                    done[index] = MathVerdict(verdict, reason, extracted, duration_s, path)
            return
        current = worker.current()
        crashed = worker.conn in ready or worker.process.sentinel in ready
        if current is None:
            if crashed:  # died before starting the chunk: nothing was judged, give it to the replacement
                self._requeue(worker, job, None, queue)
            return
        at, cpu, wall = current
        if crashed:
            reason = "worker crashed"
        elif cpu >= self.timeout_s:
            reason = f"exceeded {self.timeout_s:g}s of CPU time (worker killed)"
        elif wall >= self.wall_backstop_s:
            reason = f"exceeded the {self.wall_backstop_s:g}s wall-clock backstop at {cpu:.2f}s CPU (worker killed)"
        else:
            return
        if not job.abandoned:
            done[job.items[at][0]] = MathVerdict("timeout", reason, None, wall, "math_verify")
        self._requeue(worker, job, at, queue)

    def _requeue(self, worker: _Worker, job: _Job, failed_at: int | None, queue: deque[Item]) -> None:
        """Replace the worker and queue the job's other items again (their results died with it)."""
        worker.job = None
        self._replace(worker)
        if not job.abandoned:
            queue.extendleft(reversed([item for i, item in enumerate(job.items) if i != failed_at]))


class MathPoolStartError(RuntimeError):
    """The workers did not start within the start-up deadline."""


def default_workers() -> int:
    """Workers to use by default: one per core available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
