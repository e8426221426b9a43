"""A small classic-BPF seccomp filter, assembled by hand so the sandbox needs no libseccomp.

Why a filter at all: bwrap runs privileged (as root, without a user namespace) so that test programs can run
under real unprivileged uids. The kernel would still let those uids create their *own* user namespace and, as
its owner, mount an unbounded tmpfs (memory the rlimits cannot see) or reach kernel code that is rarely
exercised. The filter refuses user-namespace creation and a handful of syscalls no test program needs
(keyrings are per-uid and would outlive the sandbox; bpf, perf, io_uring, userfaultfd are attack surface).
Sockets: only AF_UNIX, AF_INET and AF_INET6 can be created (socket, socketpair); any other family fails with
EAFNOSUPPORT. Network namespaces confine IP, not every family: AF_VSOCK is a VM-to-host channel that a fresh
network namespace does not cut, and packet, netlink, alg or bluetooth sockets reach kernel code no test needs.
The zygote's filter also lets it open netlink sockets, to read its network namespace's state; a sample may not
lease IPv6 flow labels, which outlive their socket (both for ``netns.py``).
Everything else is allowed: the namespaces, rlimits and uid do the real confinement.

The shared runner (``runner.py``) stacks a second filter on top: creating a thread or a process, or exec'ing,
kills it, so it stays one single-threaded process whose own CPU clock is all the CPU its cases used.
"""

from __future__ import annotations

import errno
import platform
import struct

# BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
# Offsets in struct seccomp_data: nr (int), arch (u32), instruction pointer (u64), args[6] (u64 each).
_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0_LOW = 16  # little-endian: low 32 bits of args[0] come first
_OFF_ARG1_LOW = 24
_OFF_ARG2_LOW = 32

_X32_SYSCALL_BIT = 0x40000000
# The only socket families a sample may create: AF_UNIX, AF_INET, AF_INET6.
ALLOWED_SOCKET_FAMILIES = (1, 2, 10)
# The zygote also reads its network namespace's state over netlink (``netns.py``); a sample never can.
_AF_NETLINK = 16
# Per architecture: socket and socketpair (their first argument is the family).
_SOCKET_CALLS = {"x86_64": (41, 53), "aarch64": (198, 199)}
_SETSOCKOPT = {"x86_64": 54, "aarch64": 208}
# setsockopt(SOL_IPV6, IPV6_FLOWLABEL_MGR): a leased flow label outlives its socket in the network namespace,
# which the zygote hands to the next sample when no packet was sent (``netns.py``).
_SOL_IPV6, _IPV6_FLOWLABEL_MGR = 41, 32

# Per architecture: the syscalls that create a task or replace the program (aarch64 has no fork and vfork).
_PROCESS_CALLS = {
    "x86_64": {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435, "execve": 59, "execveat": 322},
    "aarch64": {"clone": 220, "clone3": 435, "execve": 221, "execveat": 281},
}

# Per architecture: audit arch, clone, clone3, and the syscalls refused with EPERM.
_ARCHES: dict[str, tuple[int, int, int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        56,
        435,
        {
            "unshare": 272,
            "setns": 308,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "chroot": 161,
            "open_by_handle_at": 304,
            "kexec_load": 246,
            "init_module": 175,
            "finit_module": 313,
        },
    ),
    "aarch64": (
        0xC00000B7,
        220,
        435,
        {
            "unshare": 97,
            "setns": 268,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "chroot": 51,
            "open_by_handle_at": 265,
            "kexec_load": 104,
            "init_module": 105,
            "finit_module": 273,
        },
    ),
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def build_filter(allow_namespace_setup: bool = False, machine: str | None = None) -> bytes:
    """Return the raw ``struct sock_filter[]`` that ``bwrap --seccomp FD`` and prctl expect.

    ``allow_namespace_setup`` is for the zygote only: it may still call unshare (never with CLONE_NEWUSER),
    mount, and setns for the pid namespace of its next child only (to unshare a fresh one again), to build each
    sample's namespaces; each sample then installs the strict filter on top (filters stack, the strictest
    answer wins). Raises ``ValueError`` for an architecture without a syscall table here
    (the caller refuses to run rather than run without the filter).
    """
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise ValueError(f"no seccomp syscall table for architecture {machine!r}")
    _, nr_clone, nr_clone3, table = _ARCHES[machine]
    denied = dict(table)
    nr_unshare = denied.pop("unshare")
    eperm = _RET_ERRNO | errno.EPERM
    prog = _arch_check(machine)
    if allow_namespace_setup:
        denied.pop("mount")
        prog += _allow_only_arg1(denied.pop("setns"), _CLONE_NEWPID, eperm)
    for nr in denied.values():
        prog += [_insn(_JEQ_K, 0, 1, nr), _insn(_RET_K, 0, 0, eperm)]
    if allow_namespace_setup:
        prog += _deny_flag(nr_unshare, _CLONE_NEWUSER, eperm)
    else:
        prog += [_insn(_JEQ_K, 0, 1, nr_unshare), _insn(_RET_K, 0, 0, eperm)]
    # clone3 passes its flags in a struct the filter cannot read: ENOSYS makes libc fall back to clone().
    prog += [_insn(_JEQ_K, 0, 1, nr_clone3), _insn(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS)]
    families = (*ALLOWED_SOCKET_FAMILIES, _AF_NETLINK) if allow_namespace_setup else ALLOWED_SOCKET_FAMILIES
    for nr in _SOCKET_CALLS[machine]:
        prog += _allow_families(nr, families, _RET_ERRNO | errno.EAFNOSUPPORT)
    prog += _deny_pair(_SETSOCKOPT[machine], _SOL_IPV6, _IPV6_FLOWLABEL_MGR, eperm)
    prog += _deny_flag(nr_clone, _CLONE_NEWUSER, eperm)
    prog.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    return b"".join(prog)


def build_single_process_filter(machine: str | None = None) -> bytes:
    """The shared runner's filter: fork, vfork, clone, clone3, execve and execveat kill the process (SIGSYS).

    Stacked on the sample's filter, never instead of it. Raises ``ValueError`` for an unknown architecture.
    """
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise ValueError(f"no seccomp syscall table for architecture {machine!r}")
    prog = _arch_check(machine)
    for nr in _PROCESS_CALLS[machine].values():
        prog += [_insn(_JEQ_K, 0, 1, nr), _insn(_RET_K, 0, 0, _RET_KILL_PROCESS)]
    prog.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    return b"".join(prog)


def _arch_check(machine: str) -> list[bytes]:
    """Kill a foreign ABI (e.g. i386 int 0x80, x32), which would bypass the table; leave the number loaded."""
    prog = [
        _insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ_K, 1, 0, _ARCHES[machine][0]),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),
        _insn(_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    if machine == "x86_64":
        prog += [_insn(_JGE_K, 0, 1, _X32_SYSCALL_BIT), _insn(_RET_K, 0, 0, _RET_KILL_PROCESS)]
    return prog


def syscall_number(name: str, machine: str | None = None) -> int:
    """The number of a syscall this filter refuses (or of socket/socketpair), for tests that probe the filter."""
    machine = machine or platform.machine()
    _, nr_clone, nr_clone3, table = _ARCHES[machine]
    socket, socketpair = _SOCKET_CALLS[machine]
    return {**table, "clone": nr_clone, "clone3": nr_clone3, "socket": socket, "socketpair": socketpair}[name]


def _allow_families(nr: int, families: tuple[int, ...], action: int) -> list[bytes]:
    """If the syscall is `nr`, allow it only when its first argument is one of `families`, else `action`.

    Self-contained: every path through it for syscall `nr` returns, and other syscalls jump over it with the
    syscall number still loaded.
    """
    body = [_insn(_LD_W_ABS, 0, 0, _OFF_ARG0_LOW)]
    for index, family in enumerate(families):
        body.append(_insn(_JEQ_K, len(families) - index, 0, family))  # to the final allow
    body += [_insn(_RET_K, 0, 0, action), _insn(_RET_K, 0, 0, _RET_ALLOW)]
    return [_insn(_JEQ_K, 0, len(body), nr), *body]


def _deny_pair(nr: int, arg1: int, arg2: int, action: int) -> list[bytes]:
    """If the syscall is `nr` and its second and third arguments are `arg1` and `arg2`, `action`, else allow.
    Self-contained, like `_on_argument`."""
    return [
        _insn(_JEQ_K, 0, 6, nr),
        _insn(_LD_W_ABS, 0, 0, _OFF_ARG1_LOW),
        _insn(_JEQ_K, 0, 3, arg1),  # to the final allow
        _insn(_LD_W_ABS, 0, 0, _OFF_ARG2_LOW),
        _insn(_JEQ_K, 0, 1, arg2),
        _insn(_RET_K, 0, 0, action),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
    ]


def _allow_only_arg1(nr: int, value: int, action: int) -> list[bytes]:
    """If the syscall is `nr`, allow it only when its second argument is exactly `value`, else `action`."""
    return _on_argument(nr, _OFF_ARG1_LOW, _JEQ_K, value, _RET_ALLOW, action)


def _deny_flag(nr: int, flag: int, action: int) -> list[bytes]:
    """If the syscall is `nr` and bit `flag` of its first argument is set, return `action`, else allow."""
    return _on_argument(nr, _OFF_ARG0_LOW, _JSET_K, flag, action, _RET_ALLOW)


def _on_argument(nr: int, offset: int, test: int, value: int, if_true: int, if_false: int) -> list[bytes]:
    """If the syscall is `nr`: load the argument at `offset`, return `if_true` when `test` (JEQ, JSET) against
    `value` holds, else `if_false`. Self-contained: every path for `nr` returns, and other syscalls jump over it
    with the syscall number still loaded."""
    return [
        _insn(_JEQ_K, 0, 4, nr),
        _insn(_LD_W_ABS, 0, 0, offset),
        _insn(test, 0, 1, value),
        _insn(_RET_K, 0, 0, if_true),
        _insn(_RET_K, 0, 0, if_false),
    ]
