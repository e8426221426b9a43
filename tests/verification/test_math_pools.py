"""Math pools: workers start only when a run has math to verify, stay for the process's next runs, and a missed
start-up deadline fails with the setting named."""

from __future__ import annotations

import pytest

from amd_assets.verification.math.leases import LazyMathPool, MathPoolSettings, lease_math_pool
from amd_assets.verification.math.pool import MathPoolStartError

ONE_WORKER = MathPoolSettings(workers=1, startup_timeout_s=120.0)


def test_a_lease_starts_workers_only_when_math_is_verified_and_keeps_them_for_the_next_run() -> None:
    with lease_math_pool(ONE_WORKER) as first:
        assert not first.started  # a source without math never pays for the workers
        assert [v.verdict for v in first.verify_many([("\\boxed{\\sqrt{4}}", "2")])] == ["pass"]
        assert first.started and first.starts == 1
    with lease_math_pool(ONE_WORKER) as second, lease_math_pool(ONE_WORKER) as concurrent:
        assert second is first and second.started  # the next run of the process gets the started pool
        assert concurrent is not first and not concurrent.started  # a run at the same time gets its own
        assert [v.verdict for v in second.verify_many([("\\boxed{3}", "4")])] == ["mismatch"]
        assert second.starts == 1


def test_a_missed_startup_deadline_raises_and_the_next_use_starts_again() -> None:
    pool = LazyMathPool(MathPoolSettings(workers=1, startup_timeout_s=0.001))
    with pytest.raises(MathPoolStartError, match=r"did not start within 0\.001 s.*AMD_MATH_STARTUP_TIMEOUT_S"):
        list(pool.verify_many([("\\boxed{1}", "1")]))
    assert not pool.started
    pool.settings = ONE_WORKER
    try:
        assert [v.verdict for v in pool.verify_many([("\\boxed{x+1}", "1+x")])] == ["pass"]
    finally:
        pool.close()
