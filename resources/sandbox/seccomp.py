"""A small classic-BPF seccomp filter, assembled by hand so the sandbox needs no libseccomp.

Why a filter at all: bwrap runs privileged (as root, without a user namespace) so that test programs can run
under real unprivileged uids. The kernel would still let those uids create their *own* user namespace and, as
its owner, mount an unbounded tmpfs (memory the rlimits cannot see) or reach kernel code that is rarely
exercised. The filter refuses user-namespace creation and a handful of syscalls no test program needs
(keyrings are per-uid and would outlive the sandbox; bpf, perf, io_uring, userfaultfd are attack surface).
Sockets: only AF_UNIX, AF_INET and AF_INET6 can be created (socket, socketpair); any other family fails with
EAFNOSUPPORT. Network namespaces confine IP, not every family: AF_VSOCK is a VM-to-host channel that a fresh
network namespace does not cut, and packet, netlink, alg or bluetooth sockets reach kernel code no test needs.
Everything else is allowed: the namespaces, rlimits and uid do the real confinement.
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
# Offsets in struct seccomp_data: nr (int), arch (u32), instruction pointer (u64), args[6] (u64 each).
_OFF_NR = 0
_OFF_ARCH = 4
_OFF_ARG0_LOW = 16  # little-endian: low 32 bits of args[0] come first

_X32_SYSCALL_BIT = 0x40000000
# The only socket families a sample may create: AF_UNIX, AF_INET, AF_INET6.
ALLOWED_SOCKET_FAMILIES = (1, 2, 10)
# Per architecture: socket and socketpair (their first argument is the family).
_SOCKET_CALLS = {"x86_64": (41, 53), "aarch64": (198, 199)}

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

    ``allow_namespace_setup`` is for the zygote only: it may still call unshare (never with CLONE_NEWUSER) and
    mount, to build each sample's namespaces; each sample then installs the strict filter on top (filters
    stack, the strictest answer wins). Raises ``ValueError`` for an architecture without a syscall table here
    (the caller refuses to run rather than run without the filter).
    """
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        raise ValueError(f"no seccomp syscall table for architecture {machine!r}")
    audit_arch, nr_clone, nr_clone3, table = _ARCHES[machine]
    denied = dict(table)
    nr_unshare = denied.pop("unshare")
    if allow_namespace_setup:
        denied.pop("mount")
    eperm = _RET_ERRNO | errno.EPERM
    prog = [
        _insn(_LD_W_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ_K, 1, 0, audit_arch),
        _insn(_RET_K, 0, 0, _RET_KILL_PROCESS),  # a foreign ABI (e.g. i386 int 0x80) would bypass the table
        _insn(_LD_W_ABS, 0, 0, _OFF_NR),
    ]
    if machine == "x86_64":
        prog += [_insn(_JGE_K, 0, 1, _X32_SYSCALL_BIT), _insn(_RET_K, 0, 0, _RET_KILL_PROCESS)]
    for nr in denied.values():
        prog += [_insn(_JEQ_K, 0, 1, nr), _insn(_RET_K, 0, 0, eperm)]
    if allow_namespace_setup:
        prog += _deny_flag(nr_unshare, _CLONE_NEWUSER, eperm)
    else:
        prog += [_insn(_JEQ_K, 0, 1, nr_unshare), _insn(_RET_K, 0, 0, eperm)]
    # clone3 passes its flags in a struct the filter cannot read: ENOSYS makes libc fall back to clone().
    prog += [_insn(_JEQ_K, 0, 1, nr_clone3), _insn(_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS)]
    for nr in _SOCKET_CALLS[machine]:
        prog += _allow_families(nr, ALLOWED_SOCKET_FAMILIES, _RET_ERRNO | errno.EAFNOSUPPORT)
    prog += _deny_flag(nr_clone, _CLONE_NEWUSER, eperm)
    prog.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    return b"".join(prog)


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


def _deny_flag(nr: int, flag: int, action: int) -> list[bytes]:
    """If the syscall is `nr` and bit `flag` of its first argument is set, return `action`, else allow.

    Ends the program for that syscall (it loads args[0] into the accumulator), so it must come last or be
    followed only by instructions that reload the syscall number.
    """
    return [
        _insn(_JEQ_K, 0, 4, nr),
        _insn(_LD_W_ABS, 0, 0, _OFF_ARG0_LOW),
        _insn(_JSET_K, 0, 1, flag),
        _insn(_RET_K, 0, 0, action),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
    ]
