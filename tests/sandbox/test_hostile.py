"""Hostile programs: each must end as one failed verdict with the right reason, and afterwards no process of
it survives, nothing was written outside the sandbox, and the pool verifies a normal sample correctly.

Every program runs only inside the sandbox. Network probes only ever aim at 127.0.0.1, at listeners this test
opens itself on the host. The table of programs run by `test_hostile_program` is in `hostile_programs.py`.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from resources.sandbox import CodeVerdict, SandboxResource, Verdict
from tests.sandbox.helpers import TEST_LIMITS, assert_no_survivors, assert_pool_healthy, stdio
from tests.sandbox.hostile_programs import CASES, HOST_DIRS, MARK


def _no_secret(secret: str, verdict: CodeVerdict) -> None:
    """Nothing the program produced contains the secret (the expected value is the host's own text)."""
    produced = [verdict.got or "", verdict.stderr_tail] + [test.detail.split(", got ")[-1] for test in verdict.tests]
    assert all(secret not in text for text in produced), produced


def _verdicts(expected: Verdict | tuple[Verdict, ...]) -> tuple[Verdict, ...]:
    return expected if isinstance(expected, tuple) else (expected,)


def _text(verdict: CodeVerdict) -> str:
    return f"{verdict.reason}\n{verdict.stderr_tail}\n{verdict.got}"


def _host_marks() -> list[str]:
    return [path for directory in HOST_DIRS for path in glob.glob(os.path.join(directory, MARK + "*"))]


@pytest.fixture
def aftermath(sandbox: SandboxResource) -> Iterator[None]:
    """After each hostile program: no survivor, nothing written on the host, pool still correct."""
    assert not _host_marks()
    yield
    assert_no_survivors(sandbox)
    assert not _host_marks(), _host_marks()
    assert_pool_healthy(sandbox)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_program(name: str, sandbox: SandboxResource, aftermath: None) -> None:
    case = CASES[name]
    verdict = sandbox.verify(case.program, case.tests)
    assert verdict.verdict in _verdicts(case.verdict), verdict
    assert case.reason in _text(verdict), verdict
    if case.check:
        case.check(verdict)


def test_hostile_env_secrets(sandbox: SandboxResource, aftermath: None, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "amd-secret-" + secrets.token_hex(8)
    monkeypatch.setenv("AMD_HOSTILE_SECRET", secret)
    program = "import os\nprint(' '.join(f'{k}={v}' for k, v in sorted(os.environ.items())))\n"
    verdict = sandbox.verify(program, stdio(("", secret)))
    assert verdict.verdict is Verdict.WRONG_ANSWER
    assert "AMD_HOSTILE_SECRET" not in (verdict.got or "") and "PATH=/usr/bin:/bin" in (verdict.got or "")
    _no_secret(secret, verdict)


def test_hostile_reads_lakehouse_and_plants_symlinks(sandbox: SandboxResource, aftermath: None, tmp_path: Path) -> None:
    secret = "amd-secret-" + secrets.token_hex(8)
    lakehouse = tmp_path / "lakehouse" / "normalized_problems"
    lakehouse.mkdir(parents=True)
    (lakehouse / "part-0.parquet").write_text(secret)
    program = (
        "import os\nroot = input()\n"
        "os.symlink(os.path.join(root, 'part-0.parquet'), '/tmp/link-to-host')\n"
        "os.symlink('/etc/shadow', '/tmp/link-to-shadow')\n"
        "for path in ('/tmp/link-to-shadow', '/tmp/link-to-host', root, '/work/main/data'):\n"
        "    try:\n        print(open(path).read())\n    except OSError as exc:\n        print(type(exc).__name__)\n"
        "print(os.listdir(root))\n"
    )
    verdict = sandbox.verify(program, stdio((str(lakehouse), secret)))
    assert verdict.verdict is Verdict.RUNTIME_ERROR and "FileNotFoundError" in verdict.stderr_tail, verdict
    _no_secret(secret, verdict)
    # The host side never follows anything the sandbox created: its /tmp is a tmpfs that vanished with it.
    assert not os.path.lexists("/tmp/link-to-host") and not os.path.lexists("/tmp/link-to-shadow")


def test_hostile_reads_the_expected_output(sandbox: SandboxResource, aftermath: None) -> None:
    token = "EXPECTED-" + secrets.token_hex(16)
    program = (
        "import gc, os, re, sys\nfound = set()\npattern = re.compile(r'EXPECTED-[0-9a-f]{32}')\n"
        "for obj in gc.get_objects():\n"
        "    for text in ([obj] if isinstance(obj, str) else obj if isinstance(obj, (list, tuple)) else []):\n"
        "        if isinstance(text, str):\n            found.update(pattern.findall(text))\n"
        "for root in ('/tmp', '/opt', '/etc', '/dev/shm'):\n"
        "    for dirpath, _, files in os.walk(root):\n"
        "        for name in files:\n"
        "            try:\n"
        "                text = open(os.path.join(dirpath, name), errors='ignore').read(1 << 20)\n"
        "                found.update(pattern.findall(text))\n"
        "            except OSError:\n                pass\n"
        "for fd in range(3, 64):\n"
        "    try:\n        found.update(pattern.findall(os.read(fd, 1 << 16).decode('latin-1')))\n"
        "    except OSError:\n        pass\n"
        "print(' '.join(sorted(found)) or 'nothing')\n"
    )
    verdict = sandbox.verify(program, stdio(("", token)))
    assert verdict.verdict is Verdict.WRONG_ANSWER and verdict.got == "nothing", verdict
    _no_secret(token, verdict)


def test_hostile_connects_to_host_listener(sandbox: SandboxResource, aftermath: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        program = "import socket\nsocket.create_connection(('127.0.0.1', int(input())), timeout=0.5)\nprint('in')\n"
        verdict = sandbox.verify(program, stdio((str(port), "in")))
        assert verdict.verdict is Verdict.RUNTIME_ERROR and "ConnectionRefusedError" in verdict.reason, verdict
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nothing ever connected


def test_hostile_binds_a_port(sandbox: SandboxResource, aftermath: None) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = (
        "import socket\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('0.0.0.0', int(input())))\ns.listen(8)\nwhile True:\n    s.accept()[0].sendall(b'pwned')\n"
    )
    result: dict[str, CodeVerdict] = {}
    worker = threading.Thread(target=lambda: result.update(v=sandbox.verify(program, stdio((str(port), "x")))))
    worker.start()
    refused = 0
    deadline = time.monotonic() + 0.8
    while time.monotonic() < deadline:  # the sandbox is listening on "its" port meanwhile
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except ConnectionRefusedError:
            refused += 1
        time.sleep(0.05)
    worker.join()
    assert refused > 0
    assert result["v"].verdict is Verdict.TIME_LIMIT, result["v"]


@pytest.mark.parametrize("mode", ["zygote", "launch"])
def test_hostile_fork_and_memory_bomb(mode: str) -> None:
    """4 processes x 300 MB: each within RLIMIT_AS (512 MB), together beyond the sample's 768 MB cgroup budget.

    Own pool with a 10 s limit: before it OOM-kills, the memory cgroup reclaims for a while, which under CPU
    contention can take longer than the suite's 1 s.
    """
    resource = SandboxResource(mode=mode, **{**TEST_LIMITS, "time_limit_s": 10.0, "wall_limit_s": 10.0})
    try:
        program = (
            "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
            "x = b'\\x01' * (300 << 20)\ntime.sleep(30)\n"  # filled in C: touches every page at once
        )
        verdict = resource.verify(program, stdio(("", "x")))
        has_cgroups = bool(resource._get_pool().cgroups)
        # Without a writable cgroup hierarchy only rlimits apply: the bomb is then stopped by the time limit.
        assert verdict.verdict is (Verdict.MEMORY_LIMIT if has_cgroups else Verdict.TIME_LIMIT), verdict
        assert_no_survivors(resource)
        assert_pool_healthy(resource)
    finally:
        resource.close()


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed (C++ is optional)")
def test_hostile_cpp_fork_bomb(sandbox: SandboxResource, aftermath: None) -> None:
    source = "#include <unistd.h>\nint main(){ for(;;) fork(); }\n"
    verdict = sandbox.verify(source, stdio(("", "x"), language="cpp"))
    assert verdict.verdict is Verdict.TIME_LIMIT, verdict


def test_hostile_batch_does_not_stop_the_pool(zygote_sandbox: SandboxResource) -> None:
    """A stream mixing hostile and normal samples: every normal one still passes, every hostile one fails."""
    quick = ["kill_minus_one", "memory_bomb", "infinite_stdout", "exit0_before_asserts", "patched_eq_assert"]
    normal = ("print(sum(map(int, input().split())))", stdio(("1 2", "3")))
    samples = []
    for name in quick:
        samples += [(CASES[name].program, CASES[name].tests), normal]
    results = dict(zygote_sandbox.verify_many(samples))
    for index, (program, _) in enumerate(samples):
        assert results[index].passed is (program == normal[0]), (index, results[index])
    assert_no_survivors(zygote_sandbox)
