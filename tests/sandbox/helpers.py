"""Helpers shared by the sandbox tests: test-spec builders, the short test limits, and post-conditions."""

from __future__ import annotations

import time
from typing import Any

from resources.sandbox import SandboxResource, Verdict
from resources.sandbox.executor import processes_of_uid

# Short limits keep the hostile suite (several time-limit cases) fast: 1 s of CPU decides a time limit, 2 s of
# wall clock stops the programs that block.
TEST_LIMITS: dict[str, Any] = {
    "time_limit_s": 1.0,
    "wall_limit_s": 2.0,
    "workers": 2,
    "memory_limit_mb": 512,
    "sample_memory_limit_mb": 768,
    "max_processes": 32,
}

NORMAL_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)\n"
NORMAL_TESTS = {"kind": "stdio", "language": "python", "cases": [{"input": "2 3\n", "output": "5\n"}]}


def stdio(*pairs: tuple[str, str], language: str = "python") -> dict[str, Any]:
    return {"kind": "stdio", "language": language, "cases": [{"input": i, "output": o} for i, o in pairs]}


def asserts(*codes: str, entry_point: str | None = None, setup: str | None = None) -> dict[str, Any]:
    return {
        "kind": "assert",
        "language": "python",
        "entry_point": entry_point,
        "setup": setup,
        "cases": [{"code": code} for code in codes],
    }


def calls(entry_point: str, *cases: tuple[list, dict, Any]) -> dict[str, Any]:
    return {
        "kind": "function_call",
        "language": "python",
        "entry_point": entry_point,
        "cases": [{"args": a, "kwargs": k, "expected": e} for a, k, e in cases],
    }


# Appended to a solution, wraps its entry point so it returns a slightly wrong value of the same type (a bool
# flipped, a number off by one, a string or list one element longer...): every test suite must catch it.
PLANTED_BUG = """

_amd_original = {entry_point}


def {entry_point}(*args, **kwargs):
    result = _amd_original(*args, **kwargs)
    if isinstance(result, bool):
        return not result
    if isinstance(result, int | float):
        return result + 1
    if isinstance(result, str):
        return result + "#"
    if isinstance(result, list):
        return [*result, result[0] if result else 0]
    if isinstance(result, tuple):
        return (*result, 0)
    return 0 if result is None else None
"""


def planted_bug(entry_point: str) -> str:
    return PLANTED_BUG.format(entry_point=entry_point)


def assert_no_survivors(resource: SandboxResource, timeout_s: float = 3.0) -> None:
    """No process may still run as any of the pool's sandbox uids."""
    deadline = time.monotonic() + timeout_s
    while True:
        alive = {uid: processes_of_uid(uid) for uid in resource.slot_uids()}
        alive = {uid: pids for uid, pids in alive.items() if pids}
        if not alive:
            return
        assert time.monotonic() < deadline, f"sandbox processes survived: {alive}"
        time.sleep(0.05)


def assert_pool_healthy(resource: SandboxResource) -> None:
    """The pool still verifies a normal sample correctly (on every worker)."""
    results = list(resource.verify_many([(NORMAL_PROGRAM, NORMAL_TESTS)] * 4))
    assert [verdict.verdict for _, verdict in results] == [Verdict.PASS] * 4, results
