"""Trusted harness executed *inside* the sandbox, as init (pid 1) of a fresh pid namespace.

The host compiles it to ``/opt/amd/_amd_harness.pyc`` and runs it with ``python -I -S -B -X utf8``: it imports
only the stdlib and its sibling ``_amd_harness_child``, never this package. It starts as uid 0 holding only
CAP_KILL, CAP_SETUID and CAP_SETGID (no_new_privs and our seccomp filter are in place) and it never executes
untrusted code itself: every test case runs in a forked child that first applies the rlimits and drops to the
slot's unprivileged uid. The children run under another uid, so they cannot signal, ptrace or read the
harness and cannot tamper with the report it sends.

Wire protocol
  host -> harness: one ``marshal`` job (program, test *inputs*, limits, uid) on stdin in launch mode, or one
      frame of the zygote's job stream. Expected outputs are never part of it.
  harness -> host, stdout: JSON lines, written only by this process. Children never hold this fd (their fds 0-2
      are the case pipes, everything above 3 is closed), so whatever a program prints is data, not protocol.
  child -> harness, fd 3 ("status pipe"): one record, ``OK <nonce>`` / ``RET <nonce> <json>`` /
      ``EXC <exception type>`` / ``BAD <type>``. The nonce is fresh per case; the host only accepts a pass when it
      sees the record with the right nonce, so ``exit(0)`` before the asserts can never count as a pass.
"""

# In-sandbox code keeps to plain try/except: no contextlib (one import less at every start, and
# nothing a program that ran in the same process could have patched).
# ruff: noqa: SIM105

import marshal
import os
import resource
import select
import signal
import time
from binascii import b2a_base64

import _amd_harness_child as child

_STDERR_TAIL = 4096


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _json_value(value):
    # Only harness-chosen values reach this encoder: ints, floats, bools, None, ASCII identifiers and bytes
    # (sent as base64), so no general JSON escaping is needed.
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, bytes):
        return '"' + b2a_base64(value, newline=False).decode("ascii") + '"'
    if isinstance(value, str):
        return '"' + value + '"'
    return repr(value)


def emit(**fields):
    body = ",".join('"' + key + '":' + _json_value(val) for key, val in fields.items())
    child.write_all(1, ("{" + body + "}\n").encode("ascii"))


# ----------------------------------------------------------------------------------------------------------
# Harness side (never runs untrusted code).
# ----------------------------------------------------------------------------------------------------------


def _kill_all():
    """SIGKILL and reap every other process of this pid namespace; return how many could not be reaped.

    The harness is pid 1 of the namespace (bwrap --as-pid-1): kill(-1) reaches every process but us, and
    every orphan is reparented to us, so once waitpid reports ECHILD nothing else exists in the sandbox.
    Looping also catches what a fork bomb creates while the task list is being walked.
    """
    deadline = time.monotonic() + 2.0
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return 0
        if time.monotonic() > deadline:
            return 1
        time.sleep(0.0002)


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_child(uid, limits, stdin_fd, target, wall_s, stdout_cap, stderr_cap):
    """Fork a child running `target`, collect its output through capped pipes, enforce the wall backstop.

    `cpu` is the CPU time of every process of the case (the child and all it forked: as init, the harness reaps
    them all), which is what decides a time limit; the wall backstop only stops programs that block.
    """
    cpu_before = _children_cpu()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    status_r, status_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child.child_main(uid, limits, stdin_fd, out_w, err_w, status_w, target)
    for fd in (out_w, err_w, status_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    buffers = {out_r: [], err_r: [], status_r: []}
    sizes = {out_r: 0, err_r: 0, status_r: 0}
    caps = {out_r: stdout_cap, err_r: stderr_cap, status_r: stdout_cap + 4096}
    poller = select.poll()
    for fd in (out_r, err_r, status_r, pidfd):
        poller.register(fd, select.POLLIN)
    open_pipes = {out_r, err_r, status_r}
    state = "exit"
    deadline = start + wall_s
    exited = False
    while not exited:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            state = "timeout"
            break
        for fd, _ in poller.poll(remaining * 1000.0):
            if fd == pidfd:
                exited = True
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                poller.unregister(fd)
                open_pipes.discard(fd)
                continue
            buffers[fd].append(chunk)
            sizes[fd] += len(chunk)
            if sizes[fd] > caps[fd]:
                state = "output_limit"
        if state != "exit":
            break
    if exited:
        # The child is gone; grandchildren may still hold the pipes open, so drain without blocking.
        for fd in open_pipes:
            os.set_blocking(fd, False)
            while sizes[fd] <= caps[fd]:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    break
                buffers[fd].append(chunk)
                sizes[fd] += len(chunk)
            if sizes[fd] > caps[fd]:
                state = "output_limit"
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    survivors = _kill_all()
    elapsed = time.monotonic() - start
    for fd in (out_r, err_r, status_r, pidfd):
        os.close(fd)
    stderr = b"".join(buffers[err_r])
    return {
        "st": state,
        "code": os.waitstatus_to_exitcode(status),
        "t": round(elapsed, 6),
        "cpu": round(_children_cpu() - cpu_before, 6),
        "out": b"".join(buffers[out_r])[: stdout_cap + 1],
        "err": stderr[-_STDERR_TAIL:],
        "res": b"".join(buffers[status_r])[: caps[status_r]],
        "survivors": survivors,
    }


def _compile_cpp(job, devnull):
    with open("/tmp/prog.cpp", "w", encoding="utf-8") as source:
        source.write(job["program"])
    comp = job["compile"]
    argv = [*comp["argv"], "-o", "/tmp/prog", "/tmp/prog.cpp"]
    limits = dict(job["limits"])
    limits.update(cpu_s=comp["cpu_s"], as_bytes=comp["as_bytes"], nproc=max(limits["nproc"], 16))
    run = _run_child(
        job["uid"],
        limits,
        devnull,
        lambda: child.exec_program(argv),
        comp["wall_s"],
        job["limits"]["stdout_cap"],
        job["limits"]["stderr_cap"],
    )
    run["ok"] = run["st"] == "exit" and run["code"] == 0 and os.path.exists("/tmp/prog")
    return run


def _compile_python(job):
    """Compile program, setup and per-case code here, once, so a SyntaxError is reported as compile_error."""
    try:
        program = compile(job["program"], "<solution>", "exec", dont_inherit=True)
    except BaseException as exc:  # SyntaxError, ValueError (NUL bytes), MemoryError, RecursionError, ...
        return None, type(exc).__name__ + ": " + str(exc)
    return program, None


def _stdin_fd(text, devnull):
    if text is None:
        return devnull, False
    fd = os.memfd_create("stdin", 0)
    child.write_all(fd, text.encode("utf-8", "surrogateescape"))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd, True


def run_job(job):
    """Run every case of one job. The caller guarantees we are pid 1 of a fresh pid namespace (bwrap
    --as-pid-1, or a zygote's per-sample namespaces) with a private /tmp."""
    if os.getpid() != 1:
        # kill(-1) below would hit every process outside: only ever run as a fresh pid namespace's init.
        raise SystemExit("harness must run as init of the sandbox's pid namespace")
    started = time.monotonic()
    # pid 1 only receives the signals it has handlers for; Python has one for SIGINT. Ignore it so that no
    # process of the sandbox can interrupt the harness (children restore the default).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)  # the job pipe (a zygote's job stream) is not for us past this point
    limits = job["limits"]
    kind = job["kind"]
    setup_code = None
    if job["language"] == "cpp":
        run = _compile_cpp(job, devnull)
        emit(ev="compile", ok=run["ok"], st=run["st"], code=run["code"], t=run["t"], err=run["err"])
        if not run["ok"]:
            emit(ev="done", t=round(time.monotonic() - started, 6))
            return
        program_code = None
    else:
        program_code, error = _compile_python(job)
        if program_code is None:
            emit(ev="compile", ok=False, st="exit", code=1, t=0.0, err=error.encode("utf-8", "replace"))
            emit(ev="done", t=round(time.monotonic() - started, 6))
            return
        if job.get("setup"):
            setup_code = compile(job["setup"], "<setup>", "exec", dont_inherit=True)
        if kind == "function_call":
            import _json  # noqa: F401  (imported once here so every forked case has it)
    for index, case in enumerate(job["cases"]):
        nonce = os.urandom(16).hex()
        case_code = None
        if kind == "assert":
            try:
                case_code = compile(case["code"], "<test>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as exc:
                raise RuntimeError("test case " + str(index) + " does not compile: " + str(exc)) from None
        stdin_fd, owned = _stdin_fd(case.get("input") if kind == "stdio" else None, devnull)
        if job["language"] == "cpp":
            target = lambda: child.exec_program(["/tmp/prog"])  # noqa: E731
        else:
            target = lambda: child.python_child(job, program_code, case_code, setup_code, case, nonce)  # noqa: E731,B023
        run = _run_child(
            job["uid"], limits, stdin_fd, target, limits["wall_s"], limits["stdout_cap"], limits["stderr_cap"]
        )
        if owned:
            os.close(stdin_fd)
        emit(ev="case", i=index, nonce=nonce, **run)
        if run["st"] == "timeout" and job.get("stop_after_timeout", True):
            break
    emit(ev="done", t=round(time.monotonic() - started, 6))


def emit_error(exc):
    try:
        emit(ev="error", msg=(type(exc).__name__ + ": " + str(exc)).encode("utf-8", "replace"))
    except BaseException:
        pass


def run_job_reporting_errors(read_job):
    """Run the job returned by `read_job()`; any harness failure becomes an `error` event, never silence."""
    try:
        run_job(read_job())
    except BaseException as exc:
        emit_error(exc)
        return 1
    return 0


def launch_main():
    """Launch mode: one bwrap launch per sample, its job on stdin."""
    os._exit(run_job_reporting_errors(lambda: marshal.loads(_read_all(0))))
