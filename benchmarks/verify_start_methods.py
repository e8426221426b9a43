"""The `start-methods` mode of benchmarks/verify.py: why forkserver workers looked slower than a forked child.

CPU per math-verify item of a fresh worker, by how the worker came to be (spawn, the pool's forkserver with
warm-up, fork of a parent cold or warm), on pairs of the math mix (benchmarks/verify_math.py) that no fast path
decides.
"""

from __future__ import annotations

import time
from typing import Any

from verify_math import build_math_pairs

from amd_assets.verification.math.pool import WARMUP_MODULE


def _math_verify_items(count: int, seed: int) -> list[tuple[str, str]]:
    """Distinct pairs that go to math-verify (no fast path, an answer to extract)."""
    from amd_assets.verification.math.answers import extract, fast_verdict

    found: dict[tuple[str, str], None] = {}
    for response, ref in build_math_pairs(4 * count, seed):
        answer = extract(response)
        if answer is not None and fast_verdict(answer.final, ref) is None:
            found[(response, ref)] = None
    return list(found)[:count]


def _cpu_ms_per_item(items: list[tuple[str, str]]) -> float:
    """CPU per item of the worker's judge on `items`, after the worker's own start-up warm-up (one parse)."""
    import logging

    from amd_assets.verification.math.answers import Answer
    from amd_assets.verification.math.verdict import _Judge, _math_verify_verdict

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    _math_verify_verdict(Answer("1"), "1", None)
    judge = _Judge(fast_paths=True, inner_timeout=None)
    started = time.process_time()
    for response, ref in items:
        judge(response, ref)
    return 1000 * (time.process_time() - started) / len(items)


def _child_measure(conn: Any, items: list[tuple[str, str]]) -> None:
    conn.send(_cpu_ms_per_item(items))


def _measure_in(method: str, items: list[tuple[str, str]]) -> float:
    import multiprocessing as mp

    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([WARMUP_MODULE])
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_child_measure, args=(child, items))
    process.start()
    result = parent.recv()
    process.join()
    return result


def bench_start_methods(count: int, seed: int, rounds: int) -> dict[str, object]:
    """CPU ms per math-verify item of a fresh worker, by how the worker came to be, interleaved over rounds:
    `spawn` (a fresh interpreter: what a forkserver without warm-up gives), `forkserver` (the pool's: forked from
    a server that ran math.warmup), `fork` of this process before and after it ran other items, and after
    it ran the very same items (sympy's and the parser's caches then hold their answers)."""
    measured = _math_verify_items(count, seed)
    other = _math_verify_items(count, seed + 1)
    other = [pair for pair in other if pair not in set(measured)]
    results: dict[str, list[float]] = {}

    def record(label: str, method: str) -> None:
        results.setdefault(label, []).append(round(_measure_in(method, measured), 2))

    for _ in range(rounds):
        record("spawn (fresh interpreter)", "spawn")
        record("forkserver with warm-up (pool)", "forkserver")
        record("fork of a cold parent", "fork")
    _cpu_ms_per_item(other)
    for _ in range(rounds):
        record("fork of a parent that ran other items", "fork")
        record("forkserver with warm-up (pool), again", "forkserver")
    _cpu_ms_per_item(measured)
    for _ in range(rounds):
        record("fork of a parent that ran these items", "fork")
    return {"items": len(measured), "cpu_ms_per_item": results}
