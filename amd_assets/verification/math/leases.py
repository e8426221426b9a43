"""Which math-verify pool a verification run uses, and when its workers start.

A run leases a pool (`lease_math_pool`) that starts its workers only when the run first has math to verify, so a
source without reference answers never pays for them. Returned after the run, a started pool stays in this process
for the next run with the same settings: `amd materialize` runs every source one after the other in one process,
and its workers (warm caches included) serve them all. Runs at the same time lease different pools. Every pool is
closed when the process exits.

Settings (`MathPoolSettings.from_environment`): `AMD_MATH_WORKERS` (0 = one per core) and
`AMD_MATH_STARTUP_TIMEOUT_S`, the wall-clock time the workers may take to start (generous: it is only a backstop
for a machine too loaded to start them); missing it fails the run of that source with `MathPoolStartError`.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from amd_assets.settings import resolved
from amd_assets.verification.math.pool import MathVerifierPool, default_workers
from amd_assets.verification.math.verdict import MathVerdict


@dataclass(frozen=True)
class MathPoolSettings:
    workers: int = 0  # 0: one per core
    startup_timeout_s: float = 600.0

    @classmethod
    def from_environment(cls) -> MathPoolSettings:
        return cls(int(resolved("AMD_MATH_WORKERS")), float(resolved("AMD_MATH_STARTUP_TIMEOUT_S")))

    def new_pool(self) -> MathVerifierPool:
        return MathVerifierPool(self.workers or default_workers(), startup_timeout_s=self.startup_timeout_s)


class LazyMathPool:
    """A `MathVerifierPool` whose workers start on the first `verify_many`, and then stay."""

    def __init__(self, settings: MathPoolSettings) -> None:
        self.settings = settings
        self._pool: MathVerifierPool | None = None
        self.startup_s: float | None = None  # how long the last start took
        self.starts = 0
        self.streams = 0  # verify_many calls served

    @property
    def started(self) -> bool:
        return self._pool is not None

    def verify_many(self, pairs: Iterable[tuple[str, str]]) -> Iterator[MathVerdict]:
        if self._pool is None:
            pool = self.settings.new_pool()
            began = time.monotonic()
            pool.start()  # raises MathPoolStartError past the start-up deadline; then nothing is kept
            self.startup_s = time.monotonic() - began
            self.starts += 1
            self._pool = pool
        self.streams += 1
        return self._pool.verify_many(pairs)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


_idle: dict[MathPoolSettings, list[LazyMathPool]] = {}
_lock = threading.Lock()


@contextmanager
def lease_math_pool(settings: MathPoolSettings | None = None) -> Iterator[LazyMathPool]:
    """A pool for one run: an idle one of this process with these settings (already started, if an earlier run
    needed it), else a new one that starts when first used. Returned for later runs when the run ends."""
    settings = settings or MathPoolSettings.from_environment()
    with _lock:
        idle = _idle.setdefault(settings, [])
        pool = idle.pop() if idle else LazyMathPool(settings)
    try:
        yield pool
    finally:
        with _lock:
            _idle[settings].append(pool)


@atexit.register
def close_all() -> None:
    """Stop the workers of every pool of this process."""
    with _lock:
        pools = [pool for idle in _idle.values() for pool in idle]
        _idle.clear()
    for pool in pools:
        pool.close()
