"""Turning the harness report of one launch into a CodeVerdict (runs on the host, never in the sandbox).

Trust boundary: the events come from the harness, which only forwards what the program did (exit status,
capped stdout, stderr tail, the child's status record). A pass needs positive evidence that the host checks:
for stdio, exit status 0 and stdout matching the expected output that never left the host; for assert tests,
the status record ``OK <nonce>`` with the nonce the harness chose for that case; for function calls, a
``RET <nonce> <json>`` record whose value matches the expected value compared here.
"""

from __future__ import annotations

import binascii
import signal
from typing import Any

from resources.sandbox.compare import Mismatch, compare_result, compare_stdout
from resources.sandbox.executor import RawRun
from resources.sandbox.testspec import TestSpec
from resources.sandbox.verdicts import CodeVerdict, TestResult, Verdict, sample_failure, truncate

_HARNESS_CHILD_FAILED = 120


def _b64(event: dict[str, Any], key: str) -> bytes:
    value = event.get(key)
    if not isinstance(value, str):
        return b""
    try:
        return binascii.a2b_base64(value)
    except ValueError:  # binascii.Error, or a non-ASCII string
        return b""


def _text(data: bytes, tail: int = 1500) -> str:
    return data.decode("utf-8", "replace")[-tail:]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _Case:
    """Judging state of one case: the verdict plus what to show about the failure."""

    def __init__(self, verdict: Verdict, detail: str, expected: str | None = None, got: str | None = None):
        self.verdict, self.detail, self.expected, self.got = verdict, detail, expected, got


def _judge_case(spec: TestSpec, index: int, event: dict[str, Any], limits: tuple[float, float]) -> _Case:
    cpu_limit_s, wall_limit_s = limits
    state, code, cpu = event.get("st"), int(event.get("code", 0)), float(event.get("cpu", 0.0))
    if event.get("oom"):  # set by the host from the slot cgroup's OOM counter, not by the sandbox
        return _Case(Verdict.MEMORY_LIMIT, "the sample's memory limit was exceeded (cgroup OOM kill)")
    err, res, nonce = _b64(event, "err"), _b64(event, "res"), str(event.get("nonce", "")).encode()
    sig = -code if code < 0 else 0
    # CPU time decides: the same program gets the same verdict on an idle and on a saturated machine.
    if sig == signal.SIGXCPU or cpu > cpu_limit_s:
        return _Case(Verdict.TIME_LIMIT, f"CPU time limit of {cpu_limit_s:g}s exceeded ({cpu:.2f}s used)")
    if state == "timeout":
        detail = f"wall-clock backstop of {wall_limit_s:g}s exceeded with {cpu:.2f}s of CPU (blocked, not computing)"
        return _Case(Verdict.TIME_LIMIT, detail)
    if state == "output_limit":
        return _Case(Verdict.OUTPUT_LIMIT, "stdout/stderr exceeded its cap; the program was killed")
    if res.startswith(b"EXC MemoryError") or (spec.language == "cpp" and sig == signal.SIGABRT and b"bad_alloc" in err):
        return _Case(Verdict.MEMORY_LIMIT, "memory limit exceeded (allocation failed)")
    if sig:
        hint = " (stack overflow?)" if sig == signal.SIGSEGV else ""
        return _Case(Verdict.RUNTIME_ERROR, f"killed by {_signal_name(sig)}{hint}")
    if code == _HARNESS_CHILD_FAILED and err.startswith(b"amd-harness:") and not res:
        return _Case(Verdict.SANDBOX_ERROR, _text(err, 300))
    if spec.kind == "stdio":
        return _judge_stdio(spec, index, event, code, res)
    if spec.kind == "assert":
        if code == 0 and res == b"OK " + nonce:
            return _Case(Verdict.PASS, "")
        return _judge_exception(res, code, err)
    prefix = b"RET " + nonce + b" "
    if code == 0 and res.startswith(prefix):
        mismatch = compare_result(spec.cases[index]["expected"], res[len(prefix) :])
        return _Case(Verdict.PASS, "") if mismatch is None else _wrong(mismatch)
    if res.startswith(b"BAD "):
        kind = res[4:].decode("ascii", "replace")
        return _Case(Verdict.WRONG_ANSWER, f"return value of type {kind!r} is not a plain JSON value")
    return _judge_exception(res, code, err)


def _judge_stdio(spec: TestSpec, index: int, event: dict[str, Any], code: int, res: bytes) -> _Case:
    if code != 0:
        raised = f"{res[4:].decode('ascii', 'replace')} raised, " if res.startswith(b"EXC ") else ""
        return _Case(Verdict.RUNTIME_ERROR, f"{raised}exit code {code}")
    try:
        got = _b64(event, "out").decode("utf-8")
    except UnicodeDecodeError as exc:
        return _Case(Verdict.WRONG_ANSWER, f"stdout is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    mismatch = compare_stdout(spec.cases[index]["output"], got)
    return _Case(Verdict.PASS, "") if mismatch is None else _wrong(mismatch)


def _wrong(mismatch: Mismatch) -> _Case:
    detail = f"{mismatch.where}: expected {truncate(mismatch.expected, 80)!r}, got {truncate(mismatch.got, 80)!r}"
    return _Case(Verdict.WRONG_ANSWER, detail, truncate(mismatch.expected), truncate(mismatch.got))


def _judge_exception(res: bytes, code: int, err: bytes) -> _Case:
    if res.startswith(b"EXC AssertionError"):
        last = _text(err, 300).strip().splitlines()
        return _Case(Verdict.WRONG_ANSWER, "assertion failed", got=last[-1] if last else None)
    if res.startswith(b"EXC "):
        return _Case(Verdict.RUNTIME_ERROR, f"{res[4:].decode('ascii', 'replace')} raised")
    # No status record: the program ended the process itself (exit(0), os._exit, ...) before the test
    # finished, or wrote something that is not the harness's record. Either way the test did not complete.
    return _Case(Verdict.RUNTIME_ERROR, f"process exited (code {code}) before the test completed")


def judge(spec: TestSpec, run: RawRun, cpu_limit_s: float, wall_limit_s: float) -> CodeVerdict:
    """The sample's verdict from one launch's events; every path that is not positive evidence fails."""
    events = run.events
    stderr = _text(run.stderr, 1000)
    errors = [event for event in events if event.get("ev") == "error"]
    if errors:
        message = _text(_b64(errors[0], "msg"), 500)
        return sample_failure(Verdict.SANDBOX_ERROR, f"could not run the tests: {message}", stderr_tail=stderr)
    compile_time = None
    for event in events:
        if event.get("ev") == "compile":
            compile_time = float(event.get("t", 0.0))
            if not event.get("ok"):
                detail = _text(_b64(event, "err"))
                timed_out = event.get("st") == "timeout" or int(event.get("code", 0)) == -signal.SIGXCPU
                reason = "compilation exceeded its time limit" if timed_out else "compilation failed"
                return sample_failure(
                    Verdict.COMPILE_ERROR,
                    reason,
                    stderr_tail=detail,
                    compile_time_s=compile_time,
                    n_tests=len(spec.cases),
                    wall_time_s=run.wall_s,
                )
    case_events = [event for event in events if event.get("ev") == "case"]
    finished = any(event.get("ev") == "done" for event in events)
    stopped = run.host_timeout or run.oom_stopped
    if not finished and not stopped and run.oom_killed:
        return sample_failure(
            Verdict.MEMORY_LIMIT, "the sample's memory limit was exceeded (OOM kill)", n_tests=len(spec.cases)
        )
    if not finished and not stopped:
        reason = run.error or f"sandbox ended unexpectedly (exit status {run.returncode})"
        return sample_failure(Verdict.SANDBOX_ERROR, reason, stderr_tail=stderr, n_tests=len(spec.cases))
    results: list[TestResult] = []
    first: tuple[int, _Case, bytes] | None = None
    for index in range(len(spec.cases)):
        if index < len(case_events):
            event = case_events[index]
            case = _judge_case(spec, index, event, (cpu_limit_s, wall_limit_s))
            results.append(
                TestResult(index, case.verdict, float(event.get("t", 0.0)), float(event.get("cpu", 0.0)), case.detail)
            )
            err = _b64(event, "err")
        elif index == len(case_events) and run.oom_stopped:
            case = _Case(Verdict.MEMORY_LIMIT, "the sample's memory limit was exceeded (cgroup OOM kill); stopped")
            results.append(TestResult(index, case.verdict, 0.0, 0.0, case.detail))
            err = b""
        elif index == len(case_events) and run.host_timeout:
            case = _Case(Verdict.TIME_LIMIT, "sample wall-clock budget exceeded; the sandbox was killed")
            results.append(TestResult(index, case.verdict, 0.0, 0.0, case.detail))
            err = b""
        else:
            results.append(TestResult(index, Verdict.SKIPPED, 0.0, 0.0, "not run after an earlier failure"))
            continue
        if first is None and case.verdict is not Verdict.PASS:
            first = (index, case, err)
    tests = tuple(results)
    if first is None:
        return CodeVerdict(
            Verdict.PASS,
            f"all {len(spec.cases)} tests passed",
            tests=tests,
            n_tests=len(spec.cases),
            compile_time_s=compile_time,
            wall_time_s=run.wall_s,
        )
    index, case, err = first
    return CodeVerdict(
        case.verdict,
        f"test {index}: {case.detail}",
        tests=tests,
        n_tests=len(spec.cases),
        failed_test=index,
        expected=case.expected,
        got=case.got,
        stderr_tail=_text(err),
        compile_time_s=compile_time,
        wall_time_s=run.wall_s,
    )
