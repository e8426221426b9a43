"""Shared runner: one unprivileged process per sample that runs its Python test cases one after another.

Runs inside the sandbox only (compiled to ``/opt/amd/_amd_runner.pyc``; stdlib + ctypes). The harness forks it
once per sample (instead of one process per test case: a fork costs ~1 ms of page faults on this kind of VM,
which made forks most of a 10-test sample's cost). It drops to the slot's uid with the same rlimits as a test
process, plus RLIMIT_NPROC 1 and a second seccomp filter that kills it on fork, vfork, clone, clone3, execve and
execveat: the runner is one single-threaded process from start to end, so the kernel's CPU clock of that one
process is all the CPU a test used, and nothing a test starts can outlive it.

Channel: fd 3, a SOCK_SEQPACKET socket to the harness, is both the case's status channel (the program's
``OK``/``RET``/``EXC`` record arrives there as in a process of its own) and the runner's: it receives each case
as one message (index and nonce) carrying the case's stdin, stdout and stderr fds,
puts them on fds 0-2, runs the program exactly as a test process would (``harness_child.run_python_case``) and
ends the case with one ``END <exit code> <dirty>`` message. In between it points fds 0-2 at /dev/null, puts
back the process state a program may change (signal handlers and timers, rlimits, cwd, umask, environment,
builtins, sys settings, atexit handlers) and collects the program's objects. It never holds an fd beyond 0-3.
``dirty`` means the state could not be put back (a replaced module, a lowered hard limit, a stateful module
imported): the harness then starts a fresh runner for the next case.

Nothing here is trusted once the first program ran: whatever the runner says, a program in the same process
could have said (an early ``END`` only ends its own case early). The harness measures CPU with the kernel's clock
of this process and decides which outcomes count (``runner_control``).
"""

import _operator
import _signal
import _socket
import array
import atexit
import builtins
import gc
import os
import resource
import struct
import sys

import _amd_harness_child as child

REPORT_BYTES = 64
CHANNEL_FD = child.STATUS_FD
END = b"END"
_CASE_FDS = (0, 1, 2)
_NO_WAIT = struct.pack("@ll", 0, 1)  # a receive timeout of one tick (1 us rounds up to a jiffy)
_WAIT = struct.pack("@ll", 0, 0)  # no receive timeout
_TIMERS = (_signal.ITIMER_REAL, _signal.ITIMER_VIRTUAL, _signal.ITIMER_PROF)
_RLIMITS = tuple(
    getattr(resource, name)
    for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_STACK", "RLIMIT_CORE")
)
# Modules that keep state a program sets up once and expects fresh (logging: basicConfig does nothing when the
# root logger has handlers, which would still write to the previous case's stdout).
_STATEFUL_MODULES = ("logging",)


class Baseline:
    """The process state a program may change, as it was before the first case; `restore` puts it back."""

    def __init__(self):
        # Names and objects side by side: restore compares them with C loops (map), not a Python loop per entry.
        self.module_names = tuple(sys.modules)
        self.modules = tuple(sys.modules.values())
        self.builtins = dict(builtins.__dict__)
        self.path = list(sys.path)
        # CPython's encoded form (not in typeshed): comparing it needs no decoding
        self.environ = dict(os.environ._data)  # type: ignore[attr-defined]
        self.hooks = (sys.excepthook, sys.displayhook, sys.breakpointhook)
        self.recursion_limit = sys.getrecursionlimit()
        self.int_digits = sys.get_int_max_str_digits()
        self.switch_interval = sys.getswitchinterval()
        self.gc_threshold = gc.get_threshold()
        # _signal, not signal: no enum conversion of every number and handler (a third of a case's cost).
        self.signals = tuple(_catchable_signals())
        self.handlers = tuple(map(_signal.getsignal, self.signals))
        self.rlimits = {limit: resource.getrlimit(limit) for limit in _RLIMITS}
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.main = sys.modules.get("__main__")

    def restore(self):
        """Put the state back; False when some of it could not be (the runner must not be used again)."""
        clean = True
        for timer in _TIMERS:
            _signal.setitimer(timer, 0)
        _signal.pthread_sigmask(_signal.SIG_SETMASK, ())
        if any(map(_operator.is_not, map(_signal.getsignal, self.signals), self.handlers)):
            for number, handler in zip(self.signals, self.handlers, strict=True):
                if _signal.getsignal(number) is not handler:
                    _signal.signal(number, handler)
        sys.settrace(None)
        sys.setprofile(None)
        sys.setrecursionlimit(self.recursion_limit)
        sys.set_int_max_str_digits(self.int_digits)
        sys.setswitchinterval(self.switch_interval)
        sys.path[:] = self.path
        gc.enable()
        gc.set_threshold(*self.gc_threshold)
        atexit._clear()
        if builtins.__dict__ != self.builtins:
            builtins.__dict__.clear()
            builtins.__dict__.update(self.builtins)
        if os.environ._data != self.environ:  # type: ignore[attr-defined]
            os.environ.clear()
            for key, value in self.environ.items():
                os.environ[os.fsdecode(key)] = os.fsdecode(value)
        sys.excepthook, sys.displayhook, sys.breakpointhook = self.hooks
        os.chdir("/tmp")
        os.umask(self.umask)
        for limit, value in self.rlimits.items():
            if resource.getrlimit(limit) != value:
                try:
                    resource.setrlimit(limit, value)
                except (ValueError, OSError):
                    clean = False  # a lowered hard limit cannot be raised again
        return self._restore_modules() and clean

    def _restore_modules(self):
        sys.modules.pop("solution", None)
        if self.main is not None:
            sys.modules["__main__"] = self.main
        if any(map(_operator.is_not, map(sys.modules.get, self.module_names), self.modules)):
            return False
        return not any(name in sys.modules for name in _STATEFUL_MODULES)


def _catchable_signals():
    return [int(number) for number in _signal.valid_signals() if number not in (_signal.SIGKILL, _signal.SIGSTOP)]


def send_with_fds(channel, data, fds):
    """One SEQPACKET message carrying `fds` (SCM_RIGHTS). `_socket`, not `socket`: fewer objects touched in
    processes that were just forked (each first touch of a page is a page fault)."""
    channel.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))])


def receive_with_fds(channel, size, count):
    """(data, fds) of one message with up to `count` fds."""
    fds = array.array("i")
    data, ancillary, _, _ = channel.recvmsg(size, _socket.CMSG_LEN(count * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def _receive_case(channel):
    """(index, nonce) of the next case with its stdin, stdout and stderr on fds 0-2; None when there is none."""
    message, fds = receive_with_fds(channel, REPORT_BYTES, len(_CASE_FDS))
    if not message or len(fds) != len(_CASE_FDS):
        for fd in fds:
            os.close(fd)
        return None
    for target, fd in zip(_CASE_FDS, fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    index, nonce = message.decode("ascii").split()
    return int(index), nonce


def detach_case_fds():
    """Point fds 0-2 at /dev/null, holding no other fd afterwards."""
    devnull = os.open("/dev/null", os.O_RDWR)
    for target in _CASE_FDS:
        os.dup2(devnull, target)
    os.close(devnull)


def report(code, clean):
    """The end of a case, as one message on the channel (see the module docstring)."""
    os.write(CHANNEL_FD, END + b" %d %d" % (code, 0 if clean else 1))


def serve(job, program_code):
    """The runner's loop: never returns. The caller has dropped privileges, installed the filters and put the
    channel on fd 3."""
    child.prepare_python_process()
    baseline = Baseline()
    gc.freeze()  # what exists now is never scanned again: each collection only sees a case's leftovers
    channel = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0, CHANNEL_FD)
    while True:
        received = _receive_case(channel)
        if received is None:
            os._exit(0)
        index, nonce = received
        # While the program runs, reading the channel fails at once (as reading a test process's write-only
        # status pipe does) instead of waiting for a next case that only comes after this one; writing blocks.
        channel.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVTIMEO, _NO_WAIT)
        code = child.run_python_case(job, program_code, None, None, job["cases"][index], nonce, finish_threads=False)
        channel.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVTIMEO, _WAIT)
        # Before the program's objects are collected: a file object it left unflushed writes nowhere, as in a
        # process that ended with os._exit (what a test process does), never into the next case's pipes.
        detach_case_fds()
        clean = baseline.restore()
        gc.collect()
        gc.freeze()
        report(code, clean)
