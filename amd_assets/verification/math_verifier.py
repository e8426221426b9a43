"""Math verifier: a response's final answer checked with math-verify against the reference answer.

math-verify relies on `signal.alarm`, and sympy can spin inside C code where no signal lands (`9^{9^{9^9}}`), so
every math-verify call runs in a worker *process* whose deadline is enforced from the parent: a worker that
overruns or dies is killed and replaced, and its item gets `timeout`. math-verify's own alarms are disabled in
the workers so that the only timeout is ours and a slow item is never mislabelled `mismatch`.

Verdicts: `pass`, `mismatch`, `no_answer` (nothing to extract), `parse_error` (math-verify extracted nothing
from the answer or the reference), `timeout` (deadline or crashed worker).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any

from amd_assets.verification.math_answers import extract_answer, fast_verdict, to_parse_input

__all__ = [
    "MATH_VERIFIER",
    "MATH_VERIFIER_VERSION",
    "VERDICTS",
    "MathVerdict",
    "MathVerifierPool",
    "extract_answer",
    "verify_in_process",
]

MATH_VERIFIER = "math_verify"
# Bump the suffix whenever extraction, fast paths or verdict mapping change: verdicts are keyed by version.
MATH_VERIFIER_VERSION = f"{version('math-verify')}+amd.2"  # amd.2: shared last_boxed (brace-less \\boxed 5)
VERDICTS = ("pass", "mismatch", "no_answer", "parse_error", "timeout")

_REFERENCE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class MathVerdict:
    """One verdict.

    `path`: `math_verify` (a worker ran it), `fast` (decided without math-verify: no answer, or the exact numeric
    path), `cache` (math-verify's earlier verdict for the identical answer and reference, reused).
    """

    verdict: str
    reason: str
    extracted: str | None
    duration_s: float
    path: str


# --- the math-verify side (runs in workers, or in process for baselines and tests) --------------------------


@lru_cache(maxsize=_REFERENCE_CACHE_SIZE)
def _parse_reference(reference: str, parsing_timeout: int | None) -> list[Any]:
    # One parse per distinct reference per worker: all responses to a problem share it.
    from math_verify import parse

    return parse(to_parse_input(reference), parsing_timeout=parsing_timeout)


def _math_verify_verdict(answer: str, reference: str, inner_timeout: int | None) -> tuple[str, str]:
    from math_verify import parse, verify

    gold = _parse_reference(reference, inner_timeout)
    if not gold:
        return "parse_error", "math-verify extracted nothing from the reference"
    pred = parse(to_parse_input(answer), parsing_timeout=inner_timeout)
    if not pred:
        return "parse_error", "math-verify extracted nothing from the answer"
    if verify(gold, pred, timeout_seconds=inner_timeout):
        return "pass", "math-verify: equivalent"
    return "mismatch", "math-verify: not equivalent"


def verify_in_process(
    response_text: str, reference: str, *, fast_paths: bool = False, inner_timeout: int | None = 5
) -> MathVerdict:
    """Verify one pair in this process, with math-verify's own (signal-based) timeouts.

    No outside deadline: for baselines and tests on benign inputs only; production goes through the pool.
    """
    start = time.perf_counter()
    pre = _pre_verdict(response_text, reference, fast_paths)
    if isinstance(pre, MathVerdict):
        return pre
    verdict, reason = _math_verify_verdict(pre, reference, inner_timeout)
    return MathVerdict(verdict, reason, pre, time.perf_counter() - start, "math_verify")


def _pre_verdict(response_text: str, reference: str, fast_paths: bool) -> MathVerdict | str:
    """A verdict decided without math-verify, or the extracted answer that still needs it."""
    start = time.perf_counter()
    answer = extract_answer(response_text)
    if answer is None:
        return MathVerdict(
            "no_answer", "no <answer>, \\boxed{} or final line", None, time.perf_counter() - start, "fast"
        )
    if fast_paths:
        verdict = fast_verdict(answer, reference)
        if verdict is not None:
            reason = "exact numeric: equal" if verdict == "pass" else "exact numeric: different"
            return MathVerdict(verdict, reason, answer, time.perf_counter() - start, "fast")
    return answer


def _worker_main(conn: Connection) -> None:
    # Only the parent's deadline applies (see module docstring); silence math-verify's warning about it.
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    # The first LaTeX parse builds the ANTLR parser (~0.5 s): pay it before taking work, so a fresh
    # replacement's warm-up is never charged to an item's deadline.
    _math_verify_verdict("1", "1", None)
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        answer, reference = job
        try:
            result = _math_verify_verdict(answer, reference, None)
        except Exception as exc:  # a math-verify bug on one item must not kill the worker
            result = ("parse_error", f"math-verify raised {type(exc).__name__}")
        conn.send(result)


# --- the pool -------------------------------------------------------------------------------------------------


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: tuple[int, str, str, float] | None = None  # (item index, extracted answer, reference, start time)
    ready: bool = False


class MathVerifierPool:
    """Process pool running math-verify with a hard per-item deadline enforced from outside the workers.

    Use as a context manager. `verify_many` streams verdicts in input order while reading at most
    `lookahead` pairs ahead, so a generator over millions of pairs never sits in memory.
    """

    def __init__(
        self,
        workers: int = 2,
        timeout_s: float = 5.0,
        *,
        fast_paths: bool = True,
        lookahead: int | None = None,
        memo_size: int = 100_000,
    ) -> None:
        if workers < 1 or timeout_s <= 0:
            raise ValueError("workers must be >= 1 and timeout_s > 0")
        self.workers = workers
        self.timeout_s = timeout_s
        self.fast_paths = fast_paths
        self.lookahead = lookahead or max(64, 32 * workers)
        self.replaced_workers = 0
        self.memo_size = memo_size
        # Verdicts math-verify already gave for an exact (answer, reference) pair: rejection sampling produces the
        # same final answer many times per problem. Deterministic, so reuse is exact; timeouts are never kept.
        self._memo: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()
        # forkserver: cheap replacements (math-verify/sympy preloaded once) without forking a threaded parent.
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["amd_assets.verification.math_verifier", "math_verify"])
        self._pool: list[_Worker] = []

    def __enter__(self) -> MathVerifierPool:
        self._pool = [self._spawn() for _ in range(self.workers)]
        # Start-up (imports, parser warm-up) is paid here, not by the first items.
        deadline = time.monotonic() + 120.0
        while not all(w.ready for w in self._pool):
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError("math-verify workers did not start within 120 s")
            self._collect({})
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

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
        process = self._ctx.Process(target=_worker_main, args=(child_conn,), daemon=True)
        process.start()
        child_conn.close()
        return _Worker(process, parent_conn)

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
        queue: deque[tuple[int, str, str]] = deque()  # (index, extracted answer, reference)
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
                    pre = _pre_verdict(response_text, reference, self.fast_paths)
                    if isinstance(pre, MathVerdict):
                        done[index] = pre
                    elif (hit := self._memo_get(pre, reference)) is not None:
                        done[index] = hit
                    else:
                        queue.append((index, pre, reference))
                for worker in self._pool:
                    if worker.ready and worker.job is None and queue:
                        index, answer, reference = queue.popleft()
                        try:
                            worker.conn.send((answer, reference))
                        except OSError:  # died while idle: the item was never started, give it to the replacement
                            queue.appendleft((index, answer, reference))
                            self._replace(worker)
                            continue
                        worker.job = (index, answer, reference, time.monotonic())
                while next_out in done:
                    yield done.pop(next_out)
                    next_out += 1
                if exhausted and next_out == next_in:
                    return
                if next_out not in done:
                    self._collect(done)
        finally:
            # Abandoned mid-stream: items still in flight belong to no caller. Let them finish (or hit their
            # deadline) so the worker is not reused early, but send their verdicts nowhere (index -1).
            for worker in self._pool:
                if worker.job is not None:
                    worker.job = (-1, *worker.job[1:])

    def _memo_get(self, answer: str, reference: str) -> MathVerdict | None:
        if not self.memo_size:
            return None
        start = time.perf_counter()
        hit = self._memo.get((answer, reference))
        if hit is None:
            return None
        self._memo.move_to_end((answer, reference))
        return MathVerdict(hit[0], hit[1], answer, time.perf_counter() - start, "cache")

    def _memo_put(self, answer: str, reference: str, verdict: str, reason: str) -> None:
        if not self.memo_size:
            return
        self._memo[(answer, reference)] = (verdict, reason)
        if len(self._memo) > self.memo_size:
            self._memo.popitem(last=False)

    def _collect(self, done: dict[int, MathVerdict]) -> None:
        """Wait for the next worker result, deadline or crash, and record the verdicts it settles."""
        starting = [w for w in self._pool if not w.ready]
        busy = [w for w in self._pool if w.job is not None]
        if not busy and not starting:
            return
        now = time.monotonic()
        wait_s = min((w.job[3] + self.timeout_s - now for w in busy if w.job), default=None)
        watched = busy + starting
        ready = wait(
            [w.conn for w in watched] + [w.process.sentinel for w in watched],
            None if wait_s is None else max(0.0, wait_s),
        )
        now = time.monotonic()
        for worker in starting:
            if worker.conn in ready:
                try:
                    worker.ready = worker.conn.recv() == "ready"
                except (EOFError, OSError):
                    self._replace(worker)  # died while starting: nothing was lost, try again
            elif worker.process.sentinel in ready:
                self._replace(worker)
        for worker in busy:
            assert worker.job is not None
            index, answer, reference, started = worker.job
            if worker.conn in ready:
                try:
                    verdict, reason = worker.conn.recv()
                except (EOFError, OSError):
                    verdict = None
                if verdict is not None:
                    done[index] = MathVerdict(verdict, reason, answer, now - started, "math_verify")
                    self._memo_put(answer, reference, verdict, reason)
                    worker.job = None
                    continue
                done[index] = MathVerdict("timeout", "worker crashed", answer, now - started, "math_verify")
                worker.job = None
                self._replace(worker)
            elif worker.process.sentinel in ready:
                done[index] = MathVerdict("timeout", "worker crashed", answer, now - started, "math_verify")
                worker.job = None
                self._replace(worker)
            elif now - started >= self.timeout_s:
                done[index] = MathVerdict(
                    "timeout", f"exceeded {self.timeout_s:g}s (worker killed)", answer, now - started, "math_verify"
                )
                worker.job = None
                self._replace(worker)


def default_workers() -> int:
    """Workers to use by default: one per core available to this process."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
