"""The shared runner (one process per sample for Python stdio/function_call cases) against the former design (one
process per test case, ``reuse_process=False``): the same verdicts, per test, in both isolation modes; cases
really share one process; what a program changes in its process does not reach the next case; the first-10-tests
cap of code verification. Every program runs only inside the sandbox.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from amd_assets.verification.registry import Tools, VerifierSettings
from amd_assets.verification.verifiers import code_sandbox
from resources.sandbox import CodeVerdict, SandboxResource
from resources.sandbox.testspec import parse_tests
from tests.sandbox.helpers import TEST_LIMITS, calls, stdio
from tests.verification.candidate_support import teacher_candidate

ECHO_CASES = stdio(("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"))
# name -> program, on ECHO_CASES: each behaves the same in a process per test and in the shared runner.
ECHO_PROGRAMS: dict[str, str] = {
    "correct": "print(int(input()))",
    "wrong_on_some": "x = int(input())\nprint(x + (x % 2))",
    "raises_on_some": "x = int(input())\nif x % 2 == 0:\n    raise ValueError(x)\nprint(x)",
    "exit_codes": "import sys\nx = int(input())\nprint(x)\nsys.exit(0 if x < 3 else x)",
    "os_exit_unflushed": "import os\nprint(input())\nos._exit(0)",
    "exit_builtin": "print(input())\nexit()",
    "thread_for_stack": (
        "import threading\ndef main():\n    print(input())\nthreading.stack_size(1 << 26)\n"
        "threading.Thread(target=main).start()\n"
    ),
    "forks_if_it_can": (
        "import os\ntry:\n    pid = os.fork()\nexcept OSError:\n    print('no fork')\nelse:\n"
        "    if pid == 0:\n        os._exit(0)\n    os.waitpid(pid, 0)\n    print(input())\n"
    ),
    "changes_its_process": (
        "import atexit, builtins, os, resource, signal, sys\n"
        "print(os.environ.get('X'), sys.getrecursionlimit(), os.getcwd(), os.umask(0o077), hasattr(builtins, 'y'),"
        " signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 10,"
        " len(sys.path), input())\n"
        "os.environ['X'] = '1'\nsys.setrecursionlimit(5000)\nos.chdir('/')\nbuiltins.y = 1\nsys.path.append('/x')\n"
        "signal.signal(signal.SIGTERM, lambda *args: None)\nsignal.alarm(100)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (10, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "atexit.register(print, 'bye')\n"
    ),
    "logging_handlers": (
        "import logging, sys\nlogging.basicConfig(stream=sys.stdout, level=logging.INFO, format='%(message)s')\n"
        "logging.info(input())\n"
    ),
    "writes_tmp_then_fails": (
        "import os\nx = input()\nos.makedirs('/tmp/work/' + x)\nif x == '2':\n    raise ValueError(x)\nprint(x)"
    ),
    "memory_on_one_case": "x = int(input())\nif x == 3:\n    data = bytearray(1 << 36)\nprint(x)",
    "reads_and_writes_fd3": "import os\ntry:\n    os.read(3, 10)\nexcept OSError:\n    print(input())",
    "recursion_depth": (
        "import sys\ndef f(n):\n    try:\n        return f(n + 1)\n    except RecursionError:\n        return n\n"
        "print(f(0), input())"
    ),
}
# (name, program, tests): likewise, on tests of their own.
PROGRAMS: list[tuple[str, str, dict[str, Any]]] = [
    *((name, program, ECHO_CASES) for name, program in ECHO_PROGRAMS.items()),
    (
        "keeps_a_file_in_tmp",
        "import os\nif os.path.exists('/tmp/seen'):\n    print('seen')\nelse:\n    open('/tmp/seen', 'w').close()\n"
        "    print(input())\n",
        stdio(("1", "1"), ("2", "seen"), ("3", "3")),
    ),
    (
        "function_call",
        "def f(x):\n    return 2 * x if x != 3 else x",
        calls("f", *[([i], {}, 2 * i) for i in range(4)]),
    ),
    ("function_raises", "def f(x):\n    return 10 // (x - 2)", calls("f", ([0], {}, -5), ([2], {}, 0), ([3], {}, 10))),
]


def _pair(mode: str) -> Iterator[tuple[SandboxResource, SandboxResource]]:
    shared = SandboxResource(mode=mode, **TEST_LIMITS)
    per_test = SandboxResource(mode=mode, reuse_process=False, **TEST_LIMITS)
    try:
        yield shared, per_test
    finally:
        shared.close()
        per_test.close()


@pytest.fixture(scope="module", params=["zygote", "launch"])
def designs(request: pytest.FixtureRequest) -> Iterator[tuple[SandboxResource, SandboxResource]]:
    yield from _pair(request.param)


def _summary(verdict: CodeVerdict) -> tuple:
    tests = [(test.verdict.value, test.detail) for test in verdict.tests]
    return verdict.verdict.value, verdict.failed_test, verdict.got, tests


def test_same_verdicts_as_a_process_per_test(designs: tuple[SandboxResource, SandboxResource]) -> None:
    shared, per_test = designs
    samples = [(program, tests) for _, program, tests in PROGRAMS]
    got = [_summary(verdict) for _, verdict in shared.verify_many(samples, ordered=True)]
    want = [_summary(verdict) for _, verdict in per_test.verify_many(samples, ordered=True)]
    different = [(name, g, w) for (name, _, _), g, w in zip(PROGRAMS, got, want, strict=True) if g != w]
    assert not different, different
    by_name = {name: summary[0] for (name, _, _), summary in zip(PROGRAMS, got, strict=True)}
    assert by_name["correct"] == by_name["thread_for_stack"] == by_name["logging_handlers"] == "pass"
    assert by_name["raises_on_some"] == by_name["function_raises"] == "runtime_error"
    assert by_name["memory_on_one_case"] == "memory_limit"


def _case_events(resource: SandboxResource, program: str, tests: dict[str, Any]) -> list[dict[str, Any]]:
    """The harness's per-case events of one sample (which process ran each case, what it printed)."""
    spec = parse_tests(tests, resource.max_tests)
    run = resource._get_pool().submit(lambda slot: slot.run(resource._job(program, spec), 60.0, 1 << 24)).result()
    return [event for event in run.events if event.get("ev") == "case"]


def _outputs(events: list[dict[str, Any]]) -> list[str]:
    return [base64.b64decode(event["out"]).decode() for event in events]


def test_cases_of_a_sample_share_one_process(zygote_sandbox: SandboxResource) -> None:
    ten = stdio(*[(str(i), "x") for i in range(10)])
    shared = _case_events(zygote_sandbox, "import os\nprint(os.getpid())", ten)
    assert all(event["shared"] and not event["again"] for event in shared)
    assert len(set(_outputs(shared))) == 1  # one runner served all ten cases

    threads = _case_events(zygote_sandbox, "import threading\nthreading.Thread(target=print).start()", ten)
    assert not any(event["shared"] for event in threads)  # killed for its thread: processes of their own
    assert threads[0]["again"] and not any(event["again"] for event in threads[1:])


def test_a_failure_after_earlier_cases_runs_again_on_a_fresh_runner(zygote_sandbox: SandboxResource) -> None:
    program = "import os\nx = int(input())\nif x == 2:\n    raise ValueError(x)\nprint(os.getpid())"
    events = _case_events(zygote_sandbox, program, stdio(*[(str(i), "x") for i in range(5)]))
    assert [event["shared"] for event in events] == [True] * 5
    assert [event["again"] for event in events] == [False, False, True, False, False]
    pids = _outputs(events)
    assert pids[0] == pids[1] and pids[2] == "" and pids[3] == pids[4] != pids[0]  # the rerun's runner carried on


def test_first_ten_tests_by_default_through_the_code_verifier(zygote_sandbox: SandboxResource) -> None:
    assert SandboxResource.model_fields["max_tests"].default == 10
    tests = stdio(*[(str(i), str(i)) for i in range(10)], ("10", "wrong"), ("11", "wrong"))
    candidate = teacher_candidate(
        category="code", prompt="echo", test_cases=json.dumps(tests), answer="```python\nprint(input())\n```"
    )
    tools = Tools(VerifierSettings(judge=None), sandbox=zygote_sandbox)  # type: ignore[arg-type]
    (judgement,) = code_sandbox.run([candidate], tools)
    assert judgement is not None and judgement.passed and judgement.detail["n_tests"] == 10


def test_a_runner_s_pipes_carry_nothing_from_one_case_to_the_next(zygote_sandbox: SandboxResource) -> None:
    """A runner's stdout and stderr pipes serve case after case: what a case wrote beyond its cap, or to stderr,
    never shows up in a later case's output."""
    cap = zygote_sandbox.stdout_limit_kb * 1024
    program = (
        "import os, sys\nx = int(input())\nprint(os.getpid(), x)\nsys.stderr.write('err%d' % x)\n"
        f"if x == 1:\n    sys.stdout.write('y' * {cap + 200_000})\n"
    )
    events = _case_events(zygote_sandbox, program, stdio(*[(str(i), "x") for i in range(5)]))
    assert [event["shared"] for event in events] == [True] * 5
    assert [event["st"] for event in events] == ["exit", "output_limit", "exit", "exit", "exit"]
    outputs = _outputs(events)
    pid = outputs[2].split()[0]  # the case over its cap stopped its runner: a fresh one serves the rest
    assert outputs[0] == f"{outputs[0].split()[0]} 0\n"
    assert outputs[2:] == [f"{pid} {x}\n" for x in (2, 3, 4)]  # one runner, and only each case's own line
    # the case stopped at its cap never flushed its stderr, as in a process of its own
    assert [base64.b64decode(event["err"]).decode() for event in events] == ["err0", "", "err2", "err3", "err4"]
