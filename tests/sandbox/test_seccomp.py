"""The seccomp filters, run on a small classic-BPF interpreter here (the hostile suite probes them for real in the
sandbox): the shared runner's filter kills on every way to create a task or exec; the zygote may setns only for
its children's pid namespace; samples may do neither."""

from __future__ import annotations

import errno
import struct

import pytest

from resources.sandbox import seccomp
from resources.sandbox.seccomp import build_filter, build_single_process_filter, syscall_number

MACHINE = "x86_64"
AUDIT_ARCH = 0xC000003E
ALLOW, KILL_PROCESS = 0x7FFF0000, 0x80000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
READ, EXECVE, FORK, VFORK, EXECVEAT = 0, 59, 57, 58, 322


def _errno(code: int) -> int:
    return 0x00050000 | code


def run_filter(program: bytes, nr: int, args: tuple[int, ...] = (), arch: int = AUDIT_ARCH) -> int:
    """What the filter returns for syscall `nr` with `args` (struct seccomp_data: nr, arch, ip, args[6])."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, *(list(args) + [0] * 6)[:6])
    insns = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = insns[pc]
        if code == 0x20:  # LD W ABS
            accumulator = struct.unpack_from("=I", data, k)[0]
            pc += 1
        elif code in (0x15, 0x35, 0x45):  # JEQ, JGE, JSET with K
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += 1 + (jt if taken else jf)
        elif code == 0x06:  # RET K
            return k
        else:
            raise AssertionError(f"unexpected BPF opcode {code:#x}")


@pytest.fixture(autouse=True)
def x86_64(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seccomp.platform, "machine", lambda: MACHINE)


def test_the_runner_is_killed_for_any_new_task_or_exec() -> None:
    runner = build_single_process_filter()
    clone, clone3 = syscall_number("clone"), syscall_number("clone3")
    for nr in (FORK, VFORK, clone, clone3, EXECVE, EXECVEAT):
        assert run_filter(runner, nr) == KILL_PROCESS, nr
    assert run_filter(runner, READ) == ALLOW
    assert run_filter(runner, READ, arch=0x40000003) == KILL_PROCESS  # i386 entry: no bypass through another ABI


def test_the_zygote_may_setns_only_its_childrens_pid_namespace() -> None:
    zygote = build_filter(allow_namespace_setup=True)
    setns, unshare = syscall_number("setns"), syscall_number("unshare")
    assert run_filter(zygote, setns, (3, CLONE_NEWPID)) == ALLOW
    for flags in (0, CLONE_NEWNET, CLONE_NEWUSER, CLONE_NEWPID | CLONE_NEWNET):
        assert run_filter(zygote, setns, (3, flags)) == _errno(errno.EPERM), flags
    assert run_filter(zygote, unshare, (CLONE_NEWPID,)) == ALLOW
    assert run_filter(zygote, unshare, (CLONE_NEWUSER,)) == _errno(errno.EPERM)


def test_samples_may_not_setns_unshare_or_mount() -> None:
    sample = build_filter(allow_namespace_setup=False)
    for name, args in (("setns", (3, CLONE_NEWPID)), ("unshare", (CLONE_NEWPID,)), ("mount", ())):
        assert run_filter(sample, syscall_number(name), args) == _errno(errno.EPERM), name
    assert run_filter(sample, syscall_number("socket"), (40, 1, 0)) == _errno(errno.EAFNOSUPPORT)  # AF_VSOCK
    assert run_filter(sample, syscall_number("socket"), (2, 1, 0)) == ALLOW  # AF_INET
    assert run_filter(sample, syscall_number("clone"), (CLONE_NEWUSER,)) == _errno(errno.EPERM)
    assert run_filter(sample, syscall_number("clone"), (0x11,)) == ALLOW  # a plain fork
