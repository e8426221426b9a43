"""Functional behaviour of the sandbox: test formats, verdicts, limits, C++, the pool, refusal without bwrap."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from resources.sandbox import SandboxResource, SandboxUnavailableError, Verdict
from resources.sandbox.executor import Slot
from tests.sandbox.helpers import assert_no_survivors, asserts, calls, stdio

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed (C++ is optional)")


def test_stdio_pass_and_per_test_results(sandbox: SandboxResource) -> None:
    program = "import sys\nfor line in sys.stdin:\n    print(sum(map(int, line.split())))\n"
    verdict = sandbox.verify(program, stdio(("1 2\n", "3\n"), ("4 5\n6 7\n", "9\n13"), ("", "")))
    assert verdict.verdict is Verdict.PASS, verdict
    assert verdict.n_tests == 3 and verdict.n_passed == 3 and verdict.pass_rate == 1.0
    assert [test.index for test in verdict.tests] == [0, 1, 2]
    assert all(test.time_s > 0 and test.cpu_s >= 0 for test in verdict.tests)


def test_stdio_wrong_answer_reports_test_expected_and_got(sandbox: SandboxResource) -> None:
    verdict = sandbox.verify("print(int(input()) * 2)", stdio(("2", "4"), ("3", "7"), ("5", "10")))
    assert verdict.verdict is Verdict.WRONG_ANSWER
    assert verdict.failed_test == 1 and verdict.expected == "7" and verdict.got == "6"
    assert verdict.n_passed == 2 and verdict.pass_rate == pytest.approx(2 / 3)
    assert "test 1" in verdict.reason


def test_stdio_runtime_error_has_stderr_tail(sandbox: SandboxResource) -> None:
    verdict = sandbox.verify("x = 1\nraise ValueError('boom')", stdio(("", "")))
    assert verdict.verdict is Verdict.RUNTIME_ERROR
    assert "ValueError: boom" in verdict.stderr_tail
    exit_code = sandbox.verify("import sys\nprint(1)\nsys.exit(3)", stdio(("", "1")))
    assert exit_code.verdict is Verdict.RUNTIME_ERROR and "exit code 3" in exit_code.reason


def test_stdio_program_conventions(sandbox: SandboxResource) -> None:
    # __main__ guard, exit() at the end, threads for a bigger stack, reading fd 0 directly.
    program = (
        "import sys, threading, os\n"
        "def main():\n"
        "    data = os.read(0, 100).split()\n"
        "    print(int(data[0]) + 1)\n"
        "if __name__ == '__main__':\n"
        "    threading.stack_size(1 << 26)\n"
        "    threading.Thread(target=main).start()\n"
    )
    assert sandbox.verify(program, stdio(("41", "42"))).passed
    assert sandbox.verify("print(7)\nexit()", stdio(("", "7"))).passed


def test_compile_error(sandbox: SandboxResource) -> None:
    verdict = sandbox.verify("def f(:\n  pass", stdio(("", "")))
    assert verdict.verdict is Verdict.COMPILE_ERROR and "SyntaxError" in verdict.stderr_tail


def test_assert_kind(sandbox: SandboxResource) -> None:
    program = "def add(a, b):\n    return a + b\n"
    ok = sandbox.verify(program, asserts("assert add(1, 2) == 3", "assert add(-1, 1) == 0", entry_point="add"))
    assert ok.passed and ok.n_tests == 2
    wrong = sandbox.verify(program, asserts("assert add(1, 2) == 3", "assert add(2, 2) == 5"))
    assert wrong.verdict is Verdict.WRONG_ANSWER and wrong.failed_test == 1
    crash = sandbox.verify(program, asserts("assert add(1) == 1"))
    assert crash.verdict is Verdict.RUNTIME_ERROR and "TypeError" in crash.reason
    with_setup = sandbox.verify(program, asserts("assert add(X, 1) == 11", setup="X = 10"))
    assert with_setup.passed


def test_assert_tests_can_import_the_solution_module(sandbox: SandboxResource) -> None:
    verdict = sandbox.verify("def f():\n    return 1\n", asserts("from solution import f\nassert f() == 1"))
    assert verdict.passed, verdict


def test_assert_strict_eq_accepts_builtin_subclasses(sandbox: SandboxResource) -> None:
    program = (
        "from collections import Counter, OrderedDict, defaultdict\n"
        "def h(s):\n    return Counter(s)\n"
        "def o():\n    return OrderedDict(a=1)\n"
        "def d():\n    x = defaultdict(int); x['a'] += 1; return x\n"
    )
    verdict = sandbox.verify(
        program, asserts("assert h('aab') == {'a': 2, 'b': 1}", "assert o() == {'a': 1}", "assert d() != {}")
    )
    assert verdict.passed, verdict


def test_function_call_kind(sandbox: SandboxResource) -> None:
    program = "def f(x, scale=1):\n    return [x * scale, (x,), {'k': x / 3}]\n"
    cases = [([3], {"scale": 2}, [6, [3], {"k": 1.0}]), ([1], {}, [1, [1], {"k": 0.3333333}])]
    assert sandbox.verify(program, calls("f", *cases)).passed
    wrong = sandbox.verify(program, calls("f", ([3], {}, [4, [3], {"k": 1.0}])))
    assert wrong.verdict is Verdict.WRONG_ANSWER and json.loads(wrong.got or "null") == [3, [3], {"k": 1.0}]
    missing = sandbox.verify(program, calls("g", ([1], {}, 1)))
    assert missing.verdict is Verdict.RUNTIME_ERROR and "NameError" in missing.reason
    nan = sandbox.verify("def f():\n    return float('nan')\n", calls("f", ([], {}, 1.0)))
    assert nan.verdict is Verdict.WRONG_ANSWER


def test_test_json_string_and_max_tests() -> None:
    resource = SandboxResource(max_tests=2, workers=1, time_limit_s=1.0)
    try:
        tests = json.dumps(stdio(("1", "1"), ("2", "2"), ("3", "WRONG")))
        verdict = resource.verify("print(input())", tests)
        assert verdict.passed and verdict.n_tests == 2  # the failing third case is never run
    finally:
        resource.close()


def test_invalid_or_empty_tests_fail_closed(sandbox: SandboxResource) -> None:
    for tests in ({"kind": "stdio", "cases": []}, "{broken", {"kind": "nope", "cases": [{}]}):
        verdict = sandbox.verify("print(1)", tests)
        assert verdict.verdict is Verdict.SANDBOX_ERROR and not verdict.passed
    assert "empty test list" in sandbox.verify("print(1)", {"kind": "stdio", "cases": []}).reason


def test_time_limit_skips_remaining_tests(sandbox: SandboxResource) -> None:
    program = "import time\nif input() == 'slow':\n    time.sleep(30)\nprint('ok')\n"
    verdict = sandbox.verify(program, stdio(("fast", "ok"), ("slow", "ok"), ("fast", "ok")))
    assert verdict.verdict is Verdict.TIME_LIMIT and verdict.failed_test == 1
    assert [t.verdict for t in verdict.tests] == [Verdict.PASS, Verdict.TIME_LIMIT, Verdict.SKIPPED]
    assert verdict.tests[1].time_s < 3


@pytest.mark.parametrize("reuse_process", [True, False], ids=["shared_runner", "process_per_test"])
def test_cpu_time_limit_skips_remaining_tests(reuse_process: bool) -> None:
    """A program that computes past its CPU limit on one test would spend the limit again on every later test."""
    resource = SandboxResource(workers=1, time_limit_s=1.0, reuse_process=reuse_process)
    try:
        program = "if input() == 'spin':\n    while True:\n        pass\nprint('ok')\n"
        verdict = resource.verify(program, stdio(("fast", "ok"), ("spin", "ok"), ("spin", "ok"), ("spin", "ok")))
    finally:
        resource.close()
    assert verdict.verdict is Verdict.TIME_LIMIT and verdict.failed_test == 1
    assert [t.verdict for t in verdict.tests] == [Verdict.PASS, Verdict.TIME_LIMIT, Verdict.SKIPPED, Verdict.SKIPPED]
    assert sum(t.cpu_s for t in verdict.tests) < 2.5


ISOLATION_PROBE = """
import os, socket
allowed = set(map(int, input().split()))
problems = []
uid = os.getuid()
if uid not in allowed or uid < 1000:
    problems.append(f"uid {uid}")
if (os.geteuid(), os.getgid(), os.getegid()) != (uid, uid, uid) or os.getgroups():
    problems.append("ids/groups")
import array, fcntl, struct
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # SIOCGIFCONF: no netlink needed
    buffer = array.array("B", bytes(4096))
    request = struct.pack("iL", 4096, buffer.buffer_info()[0])
    size = struct.unpack("iL", fcntl.ioctl(probe, 0x8912, request))[0]
names = [bytes(buffer[i : i + 16]).split(bytes(1), 1)[0].decode() for i in range(0, size, 40)]
if names != ["lo"]:
    problems.append(f"interfaces {names}")
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    problems.append("netlink socket created")
except OSError:
    pass
if not set(os.environ) <= {"HOME", "LANG", "LC_CTYPE", "PATH", "PWD", "TMPDIR"}:
    problems.append(f"env {sorted(os.environ)}")
if os.listdir("/tmp"):
    problems.append(f"/tmp not fresh: {os.listdir('/tmp')}")
for path in ("/proc", "/sys", "/home", "/root", "/work", "/etc/passwd", "/etc/shadow", "/var", "/run"):
    if os.path.exists(path):
        problems.append(f"{path} visible")
try:
    os.setuid(0)
    problems.append("setuid(0) worked")
except PermissionError:
    pass
if not os.access("/etc/ld.so.cache", os.R_OK) or os.access("/opt/amd", os.R_OK):
    problems.append("/etc or /opt permissions")
with open("/dev/null", "w") as null:
    null.write("discarded")
if socket.gethostname() != "sandbox":
    problems.append("hostname")
open("/tmp/left-behind", "w").write("x")
print("OK" if not problems else "; ".join(problems))
"""


def test_isolation_facts(sandbox: SandboxResource) -> None:
    """Inside: an unprivileged slot uid, no root, loopback only, cleared env, fresh /tmp per sample, no host dirs."""
    uids = " ".join(map(str, sandbox.slot_uids()))
    for _ in range(3):  # the file left by one sample must not be visible to the next
        verdict = sandbox.verify(ISOLATION_PROBE, stdio((uids, "OK")))
        assert verdict.passed, verdict.got


def test_sandbox_refuses_without_bwrap() -> None:
    resource = SandboxResource(bwrap_path="/nonexistent/bwrap", workers=1)
    with pytest.raises(SandboxUnavailableError, match="apt-get install -y bubblewrap"):
        resource.verify("print(1)", stdio(("", "1")))
    with pytest.raises(SandboxUnavailableError):
        resource.check_available()


def test_verify_many_orders(zygote_sandbox: SandboxResource) -> None:
    samples = [(f"import time\ntime.sleep({0.7 if i == 0 else 0})\nprint({i})", stdio(("", str(i)))) for i in range(8)]
    in_order = list(zygote_sandbox.verify_many(samples, ordered=True))
    assert [index for index, _ in in_order] == list(range(8))
    assert all(verdict.passed for _, verdict in in_order)
    completed = list(zygote_sandbox.verify_many(iter(samples)))
    assert sorted(index for index, _ in completed) == list(range(8))
    assert completed[-1][0] == 0  # the slow sample finishes last in completion order


@needs_gxx
def test_cpp(sandbox: SandboxResource) -> None:
    source = '#include <cstdio>\nint main(){long a,b; if(scanf("%ld %ld",&a,&b)!=2) return 1; printf("%ld\\n",a+b);}'
    ok = sandbox.verify(source, stdio(("1 2", "3"), ("-5 5", "0"), language="cpp"))
    assert ok.passed and ok.compile_time_s is not None and ok.compile_time_s > 0
    assert sandbox.verify(source, stdio(("1 2", "4"), language="cpp")).verdict is Verdict.WRONG_ANSWER
    broken = sandbox.verify("int main( {", stdio(("", ""), language="cpp"))
    assert broken.verdict is Verdict.COMPILE_ERROR and "error" in broken.stderr_tail
    crash = sandbox.verify("int main(){ int *p = 0; return *p; }", stdio(("", ""), language="cpp"))
    assert crash.verdict is Verdict.RUNTIME_ERROR and "SIG" in crash.reason
    bad_alloc = sandbox.verify(
        "#include <vector>\nint main(){ std::vector<char> v(1ull << 40); return v[0]; }",
        stdio(("", ""), language="cpp"),
    )
    assert bad_alloc.verdict is Verdict.MEMORY_LIMIT


def test_verdict_to_dict_is_json_serializable(zygote_sandbox: SandboxResource) -> None:
    verdict = zygote_sandbox.verify("print(2)", stdio(("", "3")))
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["verdict"] == "wrong_answer" and data["tests"][0]["verdict"] == "wrong_answer"
    assert data["passed"] is False and data["n_passed"] == 0


def test_uncompilable_test_code_is_a_sandbox_error(sandbox: SandboxResource) -> None:
    verdict = sandbox.verify("def f():\n    return 1\n", asserts("assert f( == 1"))
    assert verdict.verdict is Verdict.SANDBOX_ERROR and "test case 0 does not compile" in verdict.reason


@pytest.mark.parametrize("mode", ["zygote", "launch"])
def test_host_wall_budget_kills_the_sandbox(mode: str) -> None:
    """The host's own budget is the backstop behind the harness: exceeding it kills the whole sandbox."""
    resource = SandboxResource(mode=mode, workers=1, time_limit_s=5.0, sample_time_limit_s=1.0)
    try:
        verdict = resource.verify("import time\ntime.sleep(60)", stdio(("", "x")))
        assert verdict.verdict is Verdict.TIME_LIMIT and "budget" in verdict.reason, verdict
        assert_no_survivors(resource)
        assert resource.verify("print(1)", stdio(("", "1"))).passed  # a fresh sandbox took over
    finally:
        resource.close()


def _bwrap_children() -> set[int]:
    children = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].endswith(b"bwrap"):
                    children.add(int(pid))
    return children


def _wait_until_dead(pid: int, timeout_s: float = 5.0) -> None:
    """Until the (unreaped) child is a zombie: SIGKILL is delivered asynchronously."""
    deadline = time.monotonic() + timeout_s
    while Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
        assert time.monotonic() < deadline, f"{pid} still alive"
        time.sleep(0.01)


def _take_unchecked(slot: Slot) -> subprocess.Popen[bytes] | None:
    """`Slot._take_live` without its liveness check: what it hands over when the zygote dies just after it."""
    proc, slot._proc = slot._proc, None
    return proc


@contextlib.contextmanager
def _one_zygote() -> Iterator[tuple[SandboxResource, int]]:
    """A one-slot zygote sandbox that has run a job, and the pid of its zygote (the outer bwrap)."""
    before = _bwrap_children()
    resource = SandboxResource(mode="zygote", workers=1, time_limit_s=1.0)
    try:
        assert resource.verify("print(1)", stdio(("", "1"))).passed
        (zygote,) = _bwrap_children() - before
        yield resource, zygote
    finally:
        resource.close()


def test_zygote_killed_from_outside_is_replaced() -> None:
    with _one_zygote() as (resource, zygote):
        os.kill(zygote, signal.SIGKILL)  # our own child, by pid
        for _ in range(3):
            assert resource.verify("print(2)", stdio(("", "2"))).passed


def test_a_job_handed_to_a_zygote_that_just_died_runs_on_a_fresh_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race behind the test above failing now and then ("zygote exited during the job"): a zygote killed
    from outside can still look alive when the next job is handed to it. Here it is handed over dead, always."""
    with _one_zygote() as (resource, zygote):
        os.kill(zygote, signal.SIGKILL)  # our own child, by pid
        _wait_until_dead(zygote)
        monkeypatch.setattr(Slot, "_take_live", _take_unchecked)
        verdict = resource.verify("print(2)", stdio(("", "2")))
        assert verdict.passed, verdict
        assert zygote not in _bwrap_children()  # reaped; a fresh zygote ran the job


def test_a_zygote_killed_during_a_job_costs_the_sample_no_verdict() -> None:
    with _one_zygote() as (resource, zygote):
        killer = threading.Timer(0.3, os.kill, (zygote, signal.SIGKILL))  # our own child, by pid
        killer.start()
        verdict = resource.verify("import time\ntime.sleep(1.0)\nprint(2)", stdio(("", "2")))
        killer.join()
        assert verdict.passed, verdict
        assert verdict.tests[0].time_s >= 1.0  # the whole sample ran again on the fresh zygote
