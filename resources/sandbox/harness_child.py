"""Child side of the in-sandbox harness: the code that runs in the unprivileged process of a test case.

Runs inside the sandbox only (compiled to ``/opt/amd/_amd_harness_child.pyc``; stdlib only). It applies the
rlimits, drops to the slot's unprivileged uid and then executes the program and the test, either in a forked
process of its own (``python_child``) or in the sample's shared runner (``run_python_case``, see ``runner.py``).
Everything after the program starts runs in the same process as untrusted code, so nothing this module reports is
trusted beyond "this is what the program did": the host only accepts a pass with the per-case nonce record
(assert, function call) or from comparing stdout with an expected output the sandbox never sees (stdio).
"""

# In-sandbox code keeps to plain try/except and open(): no contextlib (one import less at every start, and
# nothing a program that ran in the same process could have patched).
# ruff: noqa: SIM105, SIM115

import os
import resource
import signal
import sys

STATUS_FD = 3
# Exit code a child uses when the harness code itself failed before/after the program ran.
HARNESS_FAILED = 120
ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
_HARNESS_DIR = "/opt/amd"
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def drop_privileges(uid, limits):
    """Apply the rlimits and become the slot's unprivileged uid (every capability goes with uid 0)."""
    lim = resource.setrlimit
    lim(resource.RLIMIT_CORE, (0, 0))
    lim(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 1))
    lim(resource.RLIMIT_AS, (limits["as_bytes"], limits["as_bytes"]))
    lim(resource.RLIMIT_FSIZE, (limits["fsize_bytes"], limits["fsize_bytes"]))
    lim(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
    lim(resource.RLIMIT_MEMLOCK, (0, 0))
    lim(resource.RLIMIT_MSGQUEUE, (0, 0))
    _, stack_hard = resource.getrlimit(resource.RLIMIT_STACK)
    stack = limits["stack_bytes"]
    if stack_hard != resource.RLIM_INFINITY:
        stack = min(stack, stack_hard)
    lim(resource.RLIMIT_STACK, (stack, stack))
    if uid >= 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # clears every capability: real, effective and saved uid are non-zero
    # NPROC counts tasks (threads included) of the real uid; per-slot uids keep sandboxes from sharing a budget.
    lim(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))


_SECCOMP: dict = {}  # the ctypes pieces, made on first use: most processes never install a filter
# Filter program -> its ctypes argument. A zygote makes them before it forks: a sample's processes then only make
# the call (building the ctypes objects in a freshly forked process costs ~100 us of page faults each).
_PREPARED: dict = {}


def prepare_seccomp():
    """Load what `install_seccomp` needs (ctypes, a libc handle, the prog struct); a zygote does it once."""
    if not _SECCOMP:
        import ctypes

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        _SECCOMP.update(ctypes=ctypes, fprog=SockFprog, libc=ctypes.CDLL(None, use_errno=True))


def prepared_seccomp(program):
    """The prctl argument of a classic-BPF filter (raw ``struct sock_filter[]``), made once per program."""
    prepared = _PREPARED.get(program)
    if prepared is None:
        prepare_seccomp()
        ctypes = _SECCOMP["ctypes"]
        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = _SECCOMP["fprog"](len(program) // 8, ctypes.addressof(buffer))
        if len(_PREPARED) >= 8:  # a slot uses two programs; never let a stream of others pile up
            _PREPARED.clear()
        prepared = _PREPARED[program] = (buffer, fprog, ctypes.byref(fprog))
    return prepared[2]


def install_seccomp(program):
    """Install a classic-BPF filter on this process; filters only ever stack.

    Needs no_new_privs (bwrap sets it for the whole sandbox) or CAP_SYS_ADMIN."""
    argument = prepared_seccomp(program)
    if _SECCOMP["libc"].prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, argument, 0, 0) != 0:
        err = _SECCOMP["ctypes"].get_errno()
        raise OSError(err, "seccomp: " + os.strerror(err))


def _status(record):
    try:
        write_all(STATUS_FD, record)
    except OSError:
        pass


def _exit_builtin(code=None):
    raise SystemExit(code)


def _exit_code(exc):
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int) and not isinstance(code, bool):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except BaseException:
        pass
    return 1


def _flush_streams(streams):
    for stream in streams:
        try:
            stream.flush()
        except BaseException:
            pass


def _finish_interpreter(finish_threads):
    # What Py_Finalize would do: wait for non-daemon threads (a common trick to get a bigger stack is to run
    # main() in a thread) and run atexit handlers, so stdio programs behave as under a real interpreter.
    threading = sys.modules.get("threading")
    if finish_threads and threading is not None:
        threading._shutdown()
    import atexit

    atexit._run_exitfuncs()


_PLAIN_SCALARS = frozenset([type(None), bool, int, float, complex, str, bytes])


def _plain(value, depth=0):
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return True
    if depth > 100:
        return False
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return all(_plain(item, depth + 1) for item in value)
    if kind is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in dict.items(value))
    return False


def _strict_eq(left, right):
    """``==`` for assert statements that a program cannot satisfy with an always-equal object.

    Plain values (builtin scalars and containers of them) compare with Python's own semantics. When only one
    side is plain, the other one is accepted only if it is a subclass of a builtin container or number
    (Counter, defaultdict, OrderedDict, IntEnum, ...) and equals the plain value after conversion to its
    builtin base; an object whose type was defined by the program can never equal a plain value.
    """
    left_plain, right_plain = _plain(left), _plain(right)
    if left_plain and right_plain:
        return left == right
    if not left_plain and not right_plain:
        return left == right  # both sides are the program's objects: the test's own contract
    value, other = (right, left) if left_plain else (left, right)
    for base in (dict, list, tuple, str, int, float, set, frozenset, bytes):
        if isinstance(value, base) and type(value) is not bool:
            try:
                converted = base(value)
            except BaseException:
                return False
            return _plain(converted) and converted == other
    return False


def _encode_result(value, depth=0):
    """JSON text for a function's return value, using exact builtin types only (no user __eq__/__repr__)."""
    kind = type(value)
    if depth > 200:
        raise _Unserializable("nesting")
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        return float.__repr__(value).replace("inf", "Infinity").replace("nan", "NaN")
    if kind is str:
        return _encode_str(value)
    if kind is list or kind is tuple:
        return "[" + ",".join(_encode_result(item, depth + 1) for item in value) + "]"
    if kind is set or kind is frozenset:
        return "[" + ",".join(sorted(_encode_result(item, depth + 1) for item in value)) + "]"
    if kind is dict:
        parts = []
        for key, item in dict.items(value):
            key_kind = type(key)
            if key_kind is str:
                key_text = _encode_str(key)
            elif key_kind in (int, float, bool) or key is None:
                key_text = _encode_str(_encode_result(key, depth + 1))
            else:
                raise _Unserializable(key_kind.__name__)
            parts.append(key_text + ":" + _encode_result(item, depth + 1))
        return "{" + ",".join(parts) + "}"
    raise _Unserializable(kind.__name__)


class _Unserializable(Exception):
    pass


def _encode_str(text):
    import _json

    return _json.encode_basestring_ascii(text)


def python_child(job, program_code, case_code, setup_code, case, nonce):
    os._exit(run_python_case(job, program_code, case_code, setup_code, case, nonce, finish_threads=True))


def prepare_python_process():
    """What every process that runs Python programs needs once: no harness dir on the path, exit() that raises."""
    import builtins

    if _HARNESS_DIR in sys.path:
        sys.path.remove(_HARNESS_DIR)
    # typeshed types them as site.Quitter; a program only ever calls them
    builtins.exit = builtins.quit = _exit_builtin  # type: ignore[assignment]


def open_output(out_fd, err_fd):
    """The text streams a program gets as stdout and stderr."""
    out = open(out_fd, "w", encoding="utf-8", errors="surrogateescape", newline="\n", closefd=False)
    err = open(err_fd, "w", encoding="utf-8", errors="backslashreplace", newline="\n", closefd=False, buffering=1)
    return out, err


def run_python_case(job, program_code, case_code, setup_code, case, nonce, finish_threads):
    """Run the program (and the case's test) on fds 0-3 as they are; return the exit code a process would have.

    ``finish_threads``: join non-daemon threads at the end as interpreter exit would (a shared runner cannot have
    any: creating one kills it)."""
    import builtins

    prepare_python_process()
    stdin = open(0, encoding="utf-8", errors="surrogateescape", newline="\n", closefd=False)
    out, err = open_output(1, 2)
    sys.stdin, sys.stdout, sys.stderr = stdin, out, err
    # Final in typeshed, replaced on purpose: a program that reaches for the originals gets its own streams too
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = stdin, out, err  # type: ignore[misc]
    sys.argv = ["solution.py"]
    kind = job["kind"]
    module = type(sys)("__main__" if kind == "stdio" else "solution")
    namespace = module.__dict__
    namespace["__builtins__"] = builtins
    namespace["__file__"] = "solution.py"
    sys.modules["solution"] = module
    if kind == "stdio":
        sys.modules["__main__"] = module
    ok_record = ("OK " + nonce).encode("ascii")
    memory_record = b"EXC MemoryError"
    code = 0
    try:
        exec(program_code, namespace)
        if kind == "assert":
            if setup_code is not None:
                exec(setup_code, namespace)
            namespace["__amd_strict_eq__"] = _strict_eq
            exec(case_code, namespace)
            _status(ok_record)
        elif kind == "function_call":
            function = namespace.get(job["entry_point"])
            if not callable(function):
                raise NameError("entry point " + repr(job["entry_point"]) + " is not defined")
            result = function(*case["args"], **case["kwargs"])
            try:
                text = _encode_result(result)
            except _Unserializable as exc:
                _status(b"BAD " + str(exc.args[0]).encode("ascii", "replace")[:200])
            else:
                _status(b"RET " + nonce.encode("ascii") + b" " + text.encode("ascii"))
        else:
            _finish_interpreter(finish_threads)
            _status(ok_record)
    except SystemExit as exc:
        code = _exit_code(exc)
    except MemoryError:
        _status(memory_record)
        code = 1
    except BaseException as exc:
        try:
            _status(b"EXC " + type(exc).__name__.encode("ascii", "replace")[:200])
            sys.__excepthook__(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
        code = 1
    _flush_streams((sys.stdout, sys.stderr, out, err))
    return code


def empty_directory(path):
    """Remove everything below `path` without following symlinks (as the uid that owns it), then exit."""
    _remove_below(path)
    os._exit(0)


def _remove_below(path):
    for entry in os.scandir(path):
        if entry.is_dir(follow_symlinks=False):
            os.chmod(entry.path, 0o700)  # a program may have locked its own directory
            _remove_below(entry.path)
            os.rmdir(entry.path)
        else:
            os.unlink(entry.path)


def child_main(uid, limits, stdin_fd, out_w, err_w, status_w, target):
    try:
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.dup2(status_w, STATUS_FD)
        os.closerange(STATUS_FD + 1, 1 << 20)  # the report pipe and every other harness fd
        signal.signal(signal.SIGINT, signal.default_int_handler)
        drop_privileges(uid, limits)
        os.chdir("/tmp")
        target()
    except BaseException as exc:
        try:
            os.write(2, ("amd-harness: " + type(exc).__name__ + ": " + str(exc) + "\n").encode("utf-8", "replace"))
        except BaseException:
            pass
    os._exit(HARNESS_FAILED)


def exec_program(argv):
    # Python ignores SIGPIPE and SIGXFSZ and the ignore disposition survives exec: give native programs the
    # default behaviour they would have outside.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    os.execve(argv[0], argv, ENV)
