"""Time limits are decided on CPU time: the same programs get the same verdicts on an idle machine and with
every core saturated by other processes (ours: plain busy loops started and stopped by this test, by pid)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from resources.sandbox import CodeVerdict, SandboxResource, Verdict
from tests.sandbox.helpers import stdio

# A CPU-bound stdio solution: sums squares below n.
SUM_OF_SQUARES = "n = int(input())\ntotal = 0\nfor i in range(n):\n    total += i * i\nprint(total)\n"
CPU_LIMIT_S = 1.0
TARGET_CPU_S = 0.6  # correct but heavy: most of the limit


def _case(n: int) -> dict:
    return stdio((str(n), str(sum(i * i for i in range(n)))))


@contextmanager
def saturated_cores() -> Iterator[None]:
    """One busy process per core plus one, so the sandbox competes for CPU the whole time. Each in a session of
    its own: with autogroup scheduling, CPU is shared per session, and the sandbox runs in a new session too."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range((os.cpu_count() or 1) + 1)
    ]
    try:
        time.sleep(0.2)
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()


def _verdicts(resource: SandboxResource, samples: list[tuple[str, dict]]) -> list[CodeVerdict]:
    return [verdict for _, verdict in resource.verify_many(samples, ordered=True)]


def test_same_verdicts_idle_and_saturated() -> None:
    resource = SandboxResource(workers=1, time_limit_s=CPU_LIMIT_S)
    try:
        probe = resource.verify(SUM_OF_SQUARES, _case(1_000_000))
        assert probe.passed, probe
        n = int(1_000_000 * TARGET_CPU_S / max(probe.tests[0].cpu_s, 0.01))
        samples = [(SUM_OF_SQUARES, _case(n)), (SUM_OF_SQUARES, _case(4 * n))]  # heavy-but-fine, too slow
        idle = _verdicts(resource, samples)
        with saturated_cores():
            busy = _verdicts(resource, samples)
    finally:
        resource.close()
    summary = [(v.verdict, round(v.tests[0].cpu_s, 2), round(v.tests[0].time_s, 2)) for v in idle + busy]
    print("idle vs saturated (verdict, cpu s, wall s):", summary)
    assert [v.verdict for v in idle] == [v.verdict for v in busy] == [Verdict.PASS, Verdict.TIME_LIMIT], summary
    assert "CPU time limit" in busy[1].reason
    # The machine really was saturated: the same CPU work took longer on the clock.
    assert busy[0].tests[0].time_s > idle[0].tests[0].time_s * 1.2, summary
