"""Verdict vocabulary and result records of the code sandbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASS = "pass"
    WRONG_ANSWER = "wrong_answer"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    # The sample could not be judged: bad test spec (including an empty test list, which fails closed), a
    # harness failure or a launch that bwrap refused. Never a pass.
    SANDBOX_ERROR = "sandbox_error"
    # A test that was not run because an earlier one hit the time limit (bounds the cost of hostile samples).
    SKIPPED = "skipped"


TRUNCATE = 300


def truncate(text: str | None, limit: int = TRUNCATE) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[:limit] + f"... [{len(text) - limit} more chars]"


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of one test case; times are measured inside the sandbox by the harness."""

    __test__ = False  # not a pytest test class

    index: int
    verdict: Verdict
    time_s: float
    cpu_s: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CodeVerdict:
    """Outcome of one sample (one program against its first `max_tests` test cases).

    `verdict` is PASS only if every selected test passed; otherwise it is the verdict of the first failing
    test (or a sample-level compile/sandbox error), and `failed_test`, `expected`, `got` and `stderr_tail`
    describe that failure (truncated).
    """

    verdict: Verdict
    reason: str
    tests: tuple[TestResult, ...] = ()
    n_tests: int = 0
    failed_test: int | None = None
    expected: str | None = None
    got: str | None = None
    stderr_tail: str = ""
    compile_time_s: float | None = None
    wall_time_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def n_passed(self) -> int:
        return sum(1 for test in self.tests if test.verdict is Verdict.PASS)

    @property
    def pass_rate(self) -> float:
        return self.n_passed / self.n_tests if self.n_tests else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (verdict strings, test list) for tables and logs."""
        data = asdict(self)
        data["verdict"] = str(self.verdict)
        data["tests"] = [dict(asdict(test), verdict=str(test.verdict)) for test in self.tests]
        data["passed"] = self.passed
        data["n_passed"] = self.n_passed
        data["pass_rate"] = self.pass_rate
        return data


def sample_failure(verdict: Verdict, reason: str, **extra: Any) -> CodeVerdict:
    """A verdict for a sample that failed before or outside its test cases."""
    return CodeVerdict(verdict=verdict, reason=reason, **extra)
