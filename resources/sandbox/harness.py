"""Trusted harness executed *inside* the sandbox, as init (pid 1) of a fresh pid namespace.

The host compiles it to ``/opt/amd/_amd_harness.pyc`` and runs it with ``python -I -S -B -X utf8``: it imports
only the stdlib and its sibling ``_amd_harness_child``, never this package. It starts as uid 0 holding only
CAP_KILL, CAP_SETUID and CAP_SETGID (no_new_privs and our seccomp filter are in place) and it never executes
untrusted code itself: every test case runs in an unprivileged process that first applies the rlimits and drops
to the slot's uid: the sample's shared runner (Python stdio/function_call cases, ``runner_control``) or a
forked child of its own. Those run under another uid, so they cannot signal, ptrace or read the harness and
cannot tamper with the report it sends.

Wire protocol
  host -> harness: one ``marshal`` job (program, test *inputs*, limits, uid) on stdin in launch mode, or one
      frame of the zygote's job stream. Expected outputs are never part of it.
  harness -> host, stdout: JSON lines, written only by this process. Children never hold this fd (their fds 0-2
      are the case pipes, everything above 3 is closed), so whatever a program prints is data, not protocol.
  child -> harness, fd 3 ("status pipe"; in the shared runner, its channel socket): one record, ``OK <nonce>`` /
      ``RET <nonce> <json>`` / ``EXC <exception type>`` / ``BAD <type>``. The nonce is fresh per case; the host
      only accepts a pass when it sees the record with the right nonce, so ``exit(0)`` before the asserts can
      never count as a pass.
"""

# In-sandbox code keeps to plain try/except: no contextlib (one import less at every start, and
# nothing a program that ran in the same process could have patched).
# ruff: noqa: SIM105

import _signal
import marshal
import os
import resource
import select
import signal
import time
from binascii import b2a_base64

import _amd_case_io as case_io
import _amd_harness_child as child


def _read_all(fd):
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _json_value(value):
    # Only harness-chosen values reach this encoder: ints, floats, bools, None, ASCII identifiers and bytes
    # (sent as base64), so no general JSON escaping is needed. Exact types, most frequent first: a 10-test sample
    # encodes ~130 values.
    kind = type(value)
    if kind is int or kind is float:
        return repr(value)
    if kind is bytes:
        return '"' + b2a_base64(value, newline=False).decode("ascii") + '"'
    if kind is str:
        return '"' + value + '"'
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return repr(value)  # int subclasses


_deferred = []


def emit(defer=False, **fields):
    """Send one event line to the host; `defer` holds it back until the next event that is not deferred (one
    write, one wake-up of the host, for a sample's shared-runner cases)."""
    body = ",".join(['"' + key + '":' + _json_value(val) for key, val in fields.items()])
    _deferred.append(("{" + body + "}\n").encode("ascii"))
    if not defer:
        lines = b"".join(_deferred)
        _deferred.clear()
        child.write_all(1, lines)


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
    pipes = case_io.CasePipes(stdout_cap, stderr_cap)
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child.child_main(uid, limits, stdin_fd, *pipes.writers(), target)
    pipes.close_writers()
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    pipes.register(poller, select.POLLIN)
    poller.register(pidfd, select.POLLIN)
    state = "exit"
    deadline = start + wall_s
    exited = False
    while not exited and state == "exit":
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            state = "timeout"
            break
        for fd, _ in poller.poll(remaining * 1000.0):
            if fd == pidfd:
                exited = True
            elif pipes.read(fd, poller):
                state = "output_limit"
    # The child is gone; grandchildren may still hold the pipes open, so drain without blocking.
    if exited and pipes.drain():
        state = "output_limit"
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    survivors = _kill_all()
    elapsed = time.monotonic() - start
    os.close(pidfd)
    pipes.close()
    return dict(
        st=state,
        code=os.waitstatus_to_exitcode(status),
        t=round(elapsed, 6),
        cpu=round(_children_cpu() - cpu_before, 6),
        survivors=survivors,
        **pipes.collected(),
    )


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


def _compile_job(job, devnull):
    """(program code, setup code) of a Python job, (None, None) for C++; None when compiling failed (reported)."""
    if job["language"] == "cpp":
        run = _compile_cpp(job, devnull)
        emit(ev="compile", ok=run["ok"], st=run["st"], code=run["code"], t=run["t"], err=run["err"])
        return (None, None) if run["ok"] else None
    program_code, error = _compile_python(job)
    if program_code is None:
        emit(ev="compile", ok=False, st="exit", code=1, t=0.0, err=error.encode("utf-8", "replace"))
        return None
    setup_code = compile(job["setup"], "<setup>", "exec", dont_inherit=True) if job.get("setup") else None
    if job["kind"] == "function_call":
        import _json  # noqa: F401  (imported once here so every forked case has it)
    return program_code, setup_code


def _runner_session(job, program_code):
    """The sample's shared runner when the job asks for one and its cases can use it, else None."""
    if not job.get("reuse_process") or job["language"] != "python":
        return None
    import _amd_runner_control as runner_control  # only jobs that use it pay for its imports (socket)

    if job["kind"] not in runner_control.KINDS:
        return None
    return runner_control.RunnerSession(job, program_code)


def _run_in_own_process(job, index, case, compiled, nonce, devnull):
    """The case in a forked process of its own (the classic path; C++ and assert cases always take it)."""
    kind = job["kind"]
    program_code, setup_code = compiled
    case_code = None
    if kind == "assert":
        try:
            case_code = compile(case["code"], "<test>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            raise RuntimeError("test case " + str(index) + " does not compile: " + str(exc)) from None
    stdin_fd, owned = case_io.stdin_fd(case.get("input") if kind == "stdio" else None, devnull)
    if job["language"] == "cpp":
        target = lambda: child.exec_program(["/tmp/prog"])  # noqa: E731
    else:
        target = lambda: child.python_child(job, program_code, case_code, setup_code, case, nonce)  # noqa: E731
    limits = job["limits"]
    try:
        return _run_child(
            job["uid"], limits, stdin_fd, target, limits["wall_s"], limits["stdout_cap"], limits["stderr_cap"]
        )
    finally:
        if owned:
            os.close(stdin_fd)


def _empty_tmp(job, devnull):
    """Remove what a program left in /tmp, as the slot's uid (the owner of all of it; root holds no
    CAP_DAC_OVERRIDE here)."""
    if os.listdir("/tmp"):
        limits = job["limits"]
        target = lambda: child.empty_directory("/tmp")  # noqa: E731
        _run_child(job["uid"], limits, devnull, target, limits["wall_s"], limits["stdout_cap"], limits["stderr_cap"])


def _run_case(job, index, compiled, session, devnull):
    """One case: in the shared runner when there is one and its outcome counts, else in a process of its own."""
    case = job["cases"][index]
    nonce = os.urandom(16).hex()
    attempts = 0
    if session is not None:
        run, attempts = session.run_case(index, nonce, case, devnull)
        if run is not None:
            return dict(run, nonce=nonce, shared=True, again=attempts > 1)
        if attempts:
            _empty_tmp(job, devnull)  # the runner only takes cases while /tmp is empty: run again from there
    run = _run_in_own_process(job, index, case, compiled, nonce, devnull)
    if session is not None:
        session.note(run)
    return dict(run, nonce=nonce, shared=False, again=attempts > 0)


def _hit_time_limit(run, limits):
    """The case ran out of time: the wall-clock backstop, or its CPU limit (SIGXCPU from RLIMIT_CPU, or the CPU
    a shared runner measured). The remaining cases would each spend the same limit for a verdict already decided."""
    return run["st"] == "timeout" or run["code"] == -signal.SIGXCPU or run.get("cpu", 0.0) > limits["cpu_s"]


def run_job(job):
    """Run every case of one job. The caller guarantees we are pid 1 of a fresh pid namespace (bwrap
    --as-pid-1, or a zygote's per-sample namespaces) with a private /tmp."""
    if os.getpid() != 1:
        # kill(-1) below would hit every process outside: only ever run as a fresh pid namespace's init.
        raise SystemExit("harness must run as init of the sandbox's pid namespace")
    started = time.monotonic()
    # pid 1 only receives the signals it has handlers for; Python has one for SIGINT. Ignore it so that no
    # process of the sandbox can interrupt the harness (children restore the default).
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)  # _signal: no enum conversions in a fresh process
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)  # the job pipe (a zygote's job stream) is not for us past this point
    compiled = _compile_job(job, devnull)
    session = None if compiled is None else _runner_session(job, compiled[0])
    try:
        for index in range(len(job["cases"]) if compiled else 0):
            run = _run_case(job, index, compiled, session, devnull)
            # A shared runner's case cannot trip the sample's cgroup (one process, under RLIMIT_AS): its event can
            # wait; a case in its own process is reported at once, so the host sees an OOM kill at that case.
            emit(defer=run["shared"], ev="case", i=index, **run)
            if job.get("stop_after_timeout", True) and _hit_time_limit(run, job["limits"]):
                break
    finally:
        if session is not None:
            session.close()
    emit(ev="done", t=round(time.monotonic() - started, 6))


_WARM_UP_PROGRAM = "import sys\ndef f(n):\n    return [i * i for i in range(n)]\nprint(sum(f(int(input()))))\n"


def warm_up():
    """Do once, in a zygote, what every sample's fresh process would otherwise do for the first time itself.

    A first use allocates and touches memory (the parser's tables above all: ~1 ms and ~200 page faults of
    every sample); done here, every process forked afterwards shares the result."""
    compile(_WARM_UP_PROGRAM, "<warm-up>", "exec", dont_inherit=True)
    devnull = os.open("/dev/null", os.O_RDWR)
    try:
        open(devnull, encoding="utf-8", errors="surrogateescape", newline="\n", closefd=False).close()
        for stream in child.open_output(devnull, devnull):
            stream.close()
        stdin_fd, _ = case_io.stdin_fd("1\n", devnull)
        os.close(stdin_fd)
        pipes = case_io.CasePipes(1, 1)
        poller = select.poll()
        pipes.register(poller, select.POLLIN)
        poller.poll(0)
        pipes.close()
    finally:
        os.close(devnull)
    child.prepare_seccomp()


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
