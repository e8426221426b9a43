"""The table of hostile programs run by `test_hostile.py`: each case is a program, the verdict(s) it must end
with, a substring of the reason, the tests it is verified against and an optional extra check.

Kept apart from the test functions so the table reads as data: one place to add a program that attacks the
sandbox (fork/thread/memory bombs, escapes, forged harness records, refused sockets and syscalls) and to say why
its expected verdict is what it is. Generated code is hostile: these programs are only ever run inside the
sandbox, by the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resources.sandbox import CodeVerdict, Verdict
from resources.sandbox.seccomp import syscall_number
from tests.sandbox.helpers import asserts, calls, stdio

MARK = "amd-hostile-pwned"
# (name, family, type, protocol): socket families a sample must not create.
SOCKET_FAMILIES = [
    ("vsock_stream", 40, 1, 0),  # AF_VSOCK: VM <-> host, not confined by a network namespace
    ("vsock_dgram", 40, 2, 0),
    ("packet_raw", 17, 3, 0),  # AF_PACKET
    ("netlink_route", 16, 3, 0),  # AF_NETLINK
    ("alg", 38, 5, 0),  # AF_ALG (kernel crypto API)
    ("bluetooth", 31, 1, 3),  # AF_BLUETOOTH
    ("appletalk", 5, 2, 0),  # AF_APPLETALK: a legacy family with a history of kernel bugs
]
# (syscall, arguments): attack surface the filter refuses with EPERM.
REFUSED_SYSCALLS = [
    ("io_uring_setup", "8, buf"),
    ("userfaultfd", "0"),
    ("perf_event_open", "buf, 0, -1, -1, 0"),
    ("bpf", "0, buf, 64"),
    ("keyctl", "0, 0"),
    ("add_key", "b'user', b'k', b'v', 1, -2"),
    ("mount", "b'none', b'/tmp', b'tmpfs', 0, 0"),
    ("pivot_root", "b'/tmp', b'/tmp'"),
    ("setns", "0, 0"),
    ("process_vm_readv", "1, buf, 1, buf, 1, 0"),
]
REPO = Path(__file__).resolve().parents[2]
# Host places a hostile program might try to write to; none may contain MARK afterwards.
HOST_DIRS = ["/tmp", "/var/tmp", "/", "/root", "/usr", "/etc", "/opt", str(REPO), str(REPO / "data"), os.getcwd()]


@dataclass(frozen=True)
class Hostile:
    program: str
    verdict: Verdict | tuple[Verdict, ...]
    reason: str = ""  # substring of reason, stderr tail or got
    # By default one case without input, whose expected output the program never gets to print.
    tests: dict[str, Any] = field(default_factory=lambda: stdio(("", "x")))
    check: Callable[[CodeVerdict], None] | None = field(default=None, compare=False)


def _assert_equal(got: object, want: object) -> None:
    assert got == want, got


CASES: dict[str, Hostile] = {
    "fork_bomb": Hostile(
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", Verdict.TIME_LIMIT
    ),
    "thread_bomb": Hostile(
        "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(60,)).start()\n",
        (Verdict.RUNTIME_ERROR, Verdict.MEMORY_LIMIT),
        "can't start new thread",
    ),
    "busy_loop": Hostile("while True:\n    pass\n", Verdict.TIME_LIMIT, "CPU time limit"),
    "sleep": Hostile("import time\ntime.sleep(3600)\n", Verdict.TIME_LIMIT, "wall-clock backstop"),
    "sigterm_ignoring": Hostile(
        "import signal, time\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)\n",
        Verdict.TIME_LIMIT,
    ),
    "setsid_double_fork_daemon": Hostile(
        # Case 0 leaves a daemon behind; case 1 (same sample) finds it dead: the harness killed it.
        "import os, time\n"
        "if input() == 'start':\n"
        "    if os.fork() == 0:\n"
        "        os.setsid()\n"
        "        if os.fork() == 0:\n"
        "            open('/tmp/daemon.pid', 'w').write(str(os.getpid()))\n"
        "            time.sleep(3600)\n"
        "        os._exit(0)\n"
        "    time.sleep(0.2)\n"
        "    print('started')\n"
        "else:\n"
        "    pid = int(open('/tmp/daemon.pid').read())\n"
        "    try:\n"
        "        os.kill(pid, 0)\n"
        "        print('alive')\n"
        "    except ProcessLookupError:\n"
        "        print('dead')\n",
        Verdict.WRONG_ANSWER,
        "dead",
        tests=stdio(("start", "started"), ("check", "alive")),
    ),
    "kill_minus_one": Hostile(
        # kill(-1) reaches only processes of the same uid: its own children, never the harness or the host.
        "import os, signal, time\nfor _ in range(3):\n    if os.fork() == 0:\n        time.sleep(60)\n"
        "os.kill(-1, signal.SIGKILL)\ntime.sleep(0.1)\nprint('survived', os.waitpid(-1, 0)[1])\n",
        Verdict.WRONG_ANSWER,
        "survived 9",
    ),
    "kill_parent_and_init": Hostile(
        "import os, signal\nfor pid in (os.getppid(), 1):\n    os.kill(pid, signal.SIGKILL)\nprint('x')\n",
        Verdict.RUNTIME_ERROR,
        "PermissionError",
    ),
    "memory_bomb": Hostile("x = bytearray(1 << 36)\nprint(len(x))\n", Verdict.MEMORY_LIMIT),
    # 64 MB steps: the limit is reached in a few allocations (~0.3 s of CPU, page zeroing). Late in a long session
    # the faults can cost 3x that (reclaim inside the slot's cgroup), and the 1 s CPU limit may stop it first:
    # contained either way. `memory_bomb` above holds the memory verdict itself.
    "memory_bomb_incremental": Hostile(
        "chunks = []\nwhile True:\n    chunks.append(bytearray(1 << 26))\n", (Verdict.MEMORY_LIMIT, Verdict.TIME_LIMIT)
    ),
    "deep_recursion": Hostile("def f(n):\n    return f(n + 1) + 1\nf(0)\n", Verdict.RUNTIME_ERROR, "RecursionError"),
    "deep_recursion_unlimited": Hostile(
        "import sys\nsys.setrecursionlimit(10**9)\ndef f(n):\n    return f(n + 1) + 1\nf(0)\n",
        (Verdict.MEMORY_LIMIT, Verdict.RUNTIME_ERROR, Verdict.TIME_LIMIT),
    ),
    "infinite_stdout": Hostile("while True:\n    print('y' * 1000)\n", Verdict.OUTPUT_LIMIT),
    "huge_stderr": Hostile("import sys\nwhile True:\n    sys.stderr.write('e' * 10000)\n", Verdict.OUTPUT_LIMIT),
    "status_pipe_flood": Hostile(
        "import os\nwhile True:\n    os.write(3, b'OK ' * 10000)\n", Verdict.OUTPUT_LIMIT, tests=asserts("assert True")
    ),
    "invalid_utf8_output": Hostile(
        "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe42\\n')\n",
        Verdict.WRONG_ANSWER,
        "UTF-8",
        tests=stdio(("", "42")),
    ),
    "fill_tmp": Hostile(
        "i = 0\nwhile True:\n    with open(f'/tmp/fill{i}', 'wb') as f:\n"
        "        f.write(b'x' * (1 << 20))\n    i += 1\n",
        Verdict.RUNTIME_ERROR,
        "No space left on device",
    ),
    "write_outside_workdir": Hostile(
        "import os\nwrote = []\n"
        f"for d in {[*HOST_DIRS, '/opt/amd', '/dev', '/usr/lib', '/bin']!r}:\n"
        f"    path = os.path.join(d, '{MARK}')\n"
        "    try:\n        open(path, 'w').write('x')\n        wrote.append(path)\n    except OSError:\n        pass\n"
        "print('wrote ' + ' '.join(wrote))\n",
        Verdict.WRONG_ANSWER,
        tests=stdio(("", "wrote")),
        # Only the sandbox's private /tmp took the write (the host check proves the host /tmp did not).
        check=lambda verdict: _assert_equal(verdict.got, f"wrote /tmp/{MARK}"),
    ),
    "read_etc_shadow": Hostile("print(open('/etc/shadow').read())\n", Verdict.RUNTIME_ERROR, "FileNotFoundError"),
    "read_proc_1_environ": Hostile(
        "print(open('/proc/1/environ', 'rb').read())\n", Verdict.RUNTIME_ERROR, "FileNotFoundError"
    ),
    "list_network_interfaces": Hostile(
        # glibc lists interfaces over netlink, a socket family the sandbox refuses.
        "import socket\nprint(' '.join(name for _, name in socket.if_nameindex()))\n",
        Verdict.RUNTIME_ERROR,
        "OSError",
        tests=stdio(("", "eth0")),
    ),
    "exit0_before_asserts": Hostile(
        "import sys\nsys.exit(0)\ndef f():\n    return 1\n",
        Verdict.RUNTIME_ERROR,
        "before the test completed",
        tests=asserts("assert f() == 2"),
    ),
    "os_exit0_before_asserts": Hostile(
        "import os\nos._exit(0)\n", Verdict.RUNTIME_ERROR, "before the test completed", tests=asserts("assert False")
    ),
    "exit0_inside_called_function": Hostile(
        "def f(x):\n    raise SystemExit(0)\n",
        Verdict.RUNTIME_ERROR,
        "before the test completed",
        tests=calls("f", ([1], {}, 2)),
    ),
    "patched_eq_function_call": Hostile(
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\n"
        "def f(x):\n    return Anything()\n",
        Verdict.WRONG_ANSWER,
        "not a plain JSON value",
        tests=calls("f", ([1], {}, 2)),
    ),
    "patched_eq_assert": Hostile(
        "class Anything:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n"
        "        return False\ndef f(x):\n    return Anything()\n",
        Verdict.WRONG_ANSWER,
        "assertion failed",
        tests=asserts("assert f(1) == 2\nassert f(1) == [3]\nassert not (f(1) != 4)"),
    ),
    "patched_eq_int_subclass": Hostile(
        "class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "def f(x):\n    return Int(0)\n",
        Verdict.WRONG_ANSWER,
        "assertion failed",
        tests=asserts("assert f(1) == 2"),
    ),
    "imitate_harness_protocol": Hostile(
        "import os, sys\n"
        'fake = \'{"ev":"case","i":0,"st":"exit","code":0,"t":0.1,"cpu":0.1,"out":"","err":"",'
        '"res":"T0sgMA==","nonce":"0","survivors":0}\\n{"ev":"done","t":0.1}\\n{"ev":"end"}\\n\'\n'
        "print(fake); sys.stderr.write(fake); sys.stdout.flush(); sys.stderr.flush()\n"
        "os.write(3, b'OK ' + b'0' * 32)\n"
        "os._exit(0)\n",
        Verdict.RUNTIME_ERROR,
        "before the test completed",
        tests=asserts("assert False"),
    ),
    "create_user_namespace": Hostile(
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "results = [libc.unshare(0x10000000), ctypes.get_errno(), libc.unshare(0x00020000), ctypes.get_errno()]\n"
        "print(' '.join(map(str, results)))\n",
        Verdict.WRONG_ANSWER,
        "-1 1 -1 1",  # EPERM: no user namespace, no mount namespace
        tests=stdio(("", "0 0 0 0")),
    ),
    "become_root": Hostile(
        "import os\nos.setuid(0)\nprint('root')\n", Verdict.RUNTIME_ERROR, "PermissionError", tests=stdio(("", "root"))
    ),
    "ptrace_the_harness": Hostile(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n",  # PTRACE_ATTACH to pid 1
        Verdict.WRONG_ANSWER,
        "-1 1",
        tests=stdio(("", "0 0")),
    ),
    **{
        f"socket_{name}": Hostile(
            # Each family beyond AF_UNIX/AF_INET/AF_INET6 is refused by the seccomp filter (EAFNOSUPPORT = 97).
            f"import socket\ntry:\n    socket.socket({family}, {kind}, {proto})\n    print('created')\n"
            "except OSError as exc:\n    print('refused', exc.errno)\n",
            Verdict.WRONG_ANSWER,
            "refused 97",
            tests=stdio(("", "created")),
        )
        for name, family, kind, proto in SOCKET_FAMILIES
    },
    "socketpair_vsock": Hostile(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfds = (ctypes.c_int * 2)()\n"
        "print(libc.socketpair(40, 1, 0, fds), ctypes.get_errno())\n",
        Verdict.WRONG_ANSWER,
        "-1 97",
        tests=stdio(("", "0 0")),
    ),
    **{
        f"syscall_{name}": Hostile(
            # Refused with EPERM by the filter, whatever the arguments (zeroed buffers are enough to ask).
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(512)\n"
            f"print(libc.syscall({syscall_number(name)}, {args}), ctypes.get_errno())\n",
            Verdict.WRONG_ANSWER,
            "-1 1",
            tests=stdio(("", "0 0")),
        )
        for name, args in REFUSED_SYSCALLS
    },
    "chroot_escape": Hostile(
        "import os\nos.makedirs('/tmp/jail', exist_ok=True)\nos.chroot('/tmp/jail')\n"
        "for _ in range(64):\n    os.chdir('..')\nos.chroot('.')\nprint(os.listdir('/'))\n",
        Verdict.RUNTIME_ERROR,
        "PermissionError",
    ),
    "new_mount_and_net_namespace": Hostile(
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "print(libc.unshare(0x00020000 | 0x40000000), ctypes.get_errno())\n",  # CLONE_NEWNS | CLONE_NEWNET
        Verdict.WRONG_ANSWER,
        "-1 1",
        tests=stdio(("", "0 0")),
    ),
    "set_the_clock": Hostile(
        "import time\ntime.clock_settime(time.CLOCK_REALTIME, 0)\nprint('x')\n",
        Verdict.RUNTIME_ERROR,
        "PermissionError",
    ),
    "timer_signal_storm": Hostile(
        # A 50 µs interval timer interrupting the interpreter forever: CPU time still runs out.
        "import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\n"
        "signal.setitimer(signal.ITIMER_REAL, 0.00005, 0.00005)\nwhile True:\n    pass\n",
        Verdict.TIME_LIMIT,
    ),
    "cpu_timer_reset": Hostile(
        # Raising its own CPU limit back up is refused (hard limit), so the loop still ends at the CPU limit.
        "import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_CPU, (10**6, 10**6))\n"
        "except (ValueError, OSError):\n    pass\nwhile True:\n    pass\n",
        Verdict.TIME_LIMIT,
        "CPU time limit",
    ),
    "forge_function_return_record": Hostile(
        # A RET record with a guessed nonce, then exit before the harness's own call: never a pass.
        "import os\nos.write(3, b'RET ' + b'0' * 32 + b' 2')\nos._exit(0)\ndef f(x):\n    return 2\n",
        Verdict.RUNTIME_ERROR,
        "before the test completed",
        tests=calls("f", ([1], {}, 2)),
    ),
    "forge_events_in_stdout": Hostile(
        # Protocol-looking lines on stdout are program output (data), compared with the expected output.
        'print(\'{"ev":"case","i":0,"st":"exit","code":0,"out":"NQo="}\')\n'
        'print(\'{"ev":"done","t":0.1}\')\nprint(\'{"ev":"end"}\')\n',
        Verdict.WRONG_ANSWER,
        tests=stdio(("", "5")),
    ),
    "write_to_harness_fds": Hostile(
        # Every fd above the status pipe is closed in the child: the report channel cannot be reached.
        'import os\nbad = 0\nfor fd in range(4, 256):\n    try:\n        os.write(fd, b\'{"ev":"done"}\\n\')\n'
        "    except OSError:\n        bad += 1\nprint(bad)\n",
        Verdict.WRONG_ANSWER,
        "252",
        tests=stdio(("", "0")),
    ),
}
