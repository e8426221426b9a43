"""Harness side of the shared runner (``runner.py``): starting it, handing it cases, deciding what counts.

Runs inside the sandbox only (compiled to ``/opt/amd/_amd_runner_control.pyc``; stdlib only), in the harness:
pid 1 of the sample's namespaces, which never runs untrusted code. Used for Python stdio and function_call cases
when the job asks for it (``reuse_process``); assert cases and C++ always run in a process of their own.

What the harness enforces per case, without trusting the runner:
  * CPU: the kernel's CPU clock of the runner process (``clock_getcpuclockid``), read by the harness. The runner
    cannot create a thread or a process (its seccomp filter kills it), so that clock is all the CPU the case
    used; cases get contiguous windows of it. The harness wakes up when the budget could first be spent (CPU
    grows no faster than the wall clock for one thread) and SIGKILLs the runner beyond ``cpu_s``: time_limit,
    decided on CPU time.
  * Wall backstop, output caps: as for a case in its own process.
  * Which outcomes count (`_counts`): those a program could have produced in a process of its own with nothing
    left over from an earlier case: exit code 0 (stdio: stdout is compared on the host; function_call: its
    return record with this case's nonce, compared on the host), a CPU or wall time limit, an output limit;
    and any other exit code or exception (except a MemoryError) on a runner's first case, where nothing ran in
    that process before, or once the sample has its first failure (its verdict is that first failing test).
    Anything else (a failure after earlier cases, a signal, a MemoryError, a malformed channel, a runner that
    could not start) is not judged from the runner: the case runs again on a fresh runner, where it is the
    first case (after a MemoryError or a signal there, in a process of its own); so a sample's first failure
    is always what a fresh process gives. A runner killed for creating a thread or a process (SIGSYS) is not used again
    for the sample.
  * /tmp: a case goes to a runner only while /tmp is empty (see `RunnerSession`).

Residual (documented, not hidden): cases of a sample share one process, so a program written against this
runner could keep input-independent precomputation from one case to the next (each case's CPU is still counted
by the kernel), and a case that exits 0 after a leak from an earlier case is judged on its output.
"""

# In-sandbox code keeps to plain try/except: no contextlib (one import less in every sample's harness).
# ruff: noqa: SIM105

import _signal
import _socket
import os
import select
import time

import _amd_case_io as case_io
import _amd_harness_child as child
import _amd_runner as runner

KINDS = ("stdio", "function_call")
_CPUCLOCK_SCHED = 2  # linux/posix-timers.h: the precise (sum_exec_runtime) per-process CPU clock
# One message at a time, above a unix socket's default send buffer: no SEQPACKET message is ever cut. Made once
# (in the zygote): every sample's harness shares it until it writes to it.
_BUFFER = bytearray(1 << 18)


def process_cpu_clock(pid):
    """clock_getcpuclockid(pid): MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)."""
    return ((~pid) << 3) | _CPUCLOCK_SCHED


def warm_up():
    """What the runner's channel uses first (socket objects, fd passing), done once in a zygote."""
    ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    try:
        runner.send_with_fds(ours, b"0 warm-up", [ours.fileno()])
        for fd in runner.receive_with_fds(theirs, runner.REPORT_BYTES, 3)[1]:
            os.close(fd)
    finally:
        ours.close()
        theirs.close()


def _runner_limits(job):
    limits = job["limits"]
    # The harness enforces each case's CPU budget on the clock; RLIMIT_CPU is only the backstop of the whole
    # runner. One task: no thread, no process (the seccomp filter kills it first anyway).
    return dict(limits, cpu_s=limits["cpu_s"] * len(job["cases"]) + 1, nproc=1)


def _runner_main(job, program_code, channel_fd):
    """In the forked runner: channel on fd 3, drop to the slot's uid under the runner's limits and filter, serve."""
    try:
        os.dup2(channel_fd, runner.CHANNEL_FD)
        os.closerange(runner.CHANNEL_FD + 1, 1 << 20)  # the harness's own end, pidfds and every other harness fd
        runner.detach_case_fds()  # fd 1 was the harness's report channel
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        child.drop_privileges(job["uid"], _runner_limits(job))
        child.install_seccomp(job["seccomp_runner"])
        os.chdir("/tmp")
        runner.serve(job, program_code)
    except BaseException:
        pass
    os._exit(child.HARNESS_FAILED)


class _Outcome:
    """How one case in the runner ended: state (reported, died, cpu, timeout, output_limit, broken), exit code."""

    def __init__(self, state, code=None, clean=True):
        self.state, self.code, self.clean = state, code, clean


class _Runner:
    """One runner process, seen from the harness."""

    def __init__(self, pid, channel):
        self.pid = pid
        self.channel = channel
        self.pidfd = os.pidfd_open(pid)
        self.clock = process_cpu_clock(pid)
        self.cpu_mark = 0.0  # CPU clock at the end of the previous case: cases get contiguous CPU windows
        self.cases = 0  # cases handed to this runner so far
        self.alive = True
        self.exit_code = None
        self.total_cpu = 0.0
        # Made once per runner, not per case: the poller, and the stdout/stderr pipes (until a case leaves them
        # unfit, see `CasePipes.spent`). A drained pipe is as empty as a new one.
        self._poller = select.poll()
        for fd in (self.pidfd, channel.fileno()):
            self._poller.register(fd, select.POLLIN)
        self._pipes = None

    def cpu(self):
        return time.clock_gettime(self.clock)

    def await_end(self, deadline, pipes, cpu_budget):
        """Until the runner ends the case, dies, or overruns its CPU budget, deadline or caps. Channel messages
        before the end are the case's status record."""
        poller = self._poller
        while True:
            left = cpu_budget - (self.cpu() - self.cpu_mark)
            if left < 0:
                return _Outcome("cpu")
            wait = min(deadline - time.monotonic(), left + 0.001)  # one thread: CPU grows no faster than the clock
            if wait <= 0:
                return _Outcome("timeout")
            for fd, _ in poller.poll(wait * 1000.0):
                if fd == self.pidfd:
                    return _Outcome("died")
                if fd == self.channel.fileno():
                    outcome = self._message(pipes)
                    if outcome is not None:
                        return outcome
                elif pipes.read(fd, poller):
                    return _Outcome("output_limit")

    def _message(self, pipes):
        """One channel message: the end of the case (an outcome), or status record bytes (None)."""
        try:
            size = self.channel.recv_into(_BUFFER)
        except OSError:
            return _Outcome("broken")
        message = bytes(_BUFFER[:size])
        if not message:
            return _Outcome("broken")  # the runner is gone: its pidfd tells how
        if message.startswith(runner.END + b" "):
            try:
                code, dirty = (int(part) for part in message.split()[1:])
            except ValueError:
                return _Outcome("broken")
            return _Outcome("reported", code, clean=dirty == 0)
        if pipes.add_status(message):
            return _Outcome("output_limit")
        return None

    def _case_pipes(self, limits):
        if self._pipes is None:
            caps = limits["stdout_cap"], limits["stderr_cap"]
            self._pipes = case_io.CasePipes(*caps, status_pipe=False, reusable=True)
            self._pipes.register(self._poller, select.POLLIN)
        else:
            self._pipes.reset()
        return self._pipes

    def _drop_pipes(self):
        if self._pipes is not None:
            self._pipes.unregister(self._poller)
            self._pipes.close()
            self._pipes = None

    def run_case(self, index, nonce, stdin_fd, limits):
        """Hand the case to the runner and watch it; (outcome, report fields)."""
        pipes = self._case_pipes(limits)
        start = time.monotonic()
        self.cases += 1
        try:
            runner.send_with_fds(self.channel, f"{index} {nonce}".encode("ascii"), [stdin_fd, pipes.out_w, pipes.err_w])
            outcome = None
        except OSError:
            outcome = _Outcome("broken")
        if outcome is None:
            outcome = self.await_end(start + limits["wall_s"], pipes, limits["cpu_s"])
        cpu = self._settle(outcome)
        if pipes.drain() and outcome.state in ("reported", "died"):
            outcome.state = "output_limit"
        fields = dict(t=round(time.monotonic() - start, 6), cpu=round(cpu, 6), survivors=0, **pipes.collected())
        if not self.alive or pipes.spent():
            self._drop_pipes()
        return outcome, fields

    def _settle(self, outcome):
        """The case's CPU time; stops the runner unless it reported and can serve the next case."""
        window_start = self.cpu_mark
        if outcome.state == "reported" and outcome.clean:
            self.cpu_mark = self.cpu()
            return self.cpu_mark - window_start
        total = self._kill()
        if outcome.state in ("died", "broken"):
            outcome.state, outcome.code = "died", self.exit_code
        elif outcome.state != "reported":
            outcome.code = -_signal.SIGKILL
        return total - window_start

    def stop(self):
        """SIGKILL and reap the runner, close its pipes; its whole life's CPU time."""
        total = self._kill()
        self._drop_pipes()
        return total

    def _kill(self):
        """SIGKILL and reap the runner; its whole life's CPU time (also known once it died by itself). Its pipes
        stay open: the case drains them."""
        if self.alive:
            self.alive = False
            try:
                _signal.pidfd_send_signal(self.pidfd, _signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status, usage = os.wait4(self.pid, 0)
            self.exit_code = os.waitstatus_to_exitcode(status)
            self.total_cpu = usage.ru_utime + usage.ru_stime
            self._poller.unregister(self.pidfd)
            self._poller.unregister(self.channel.fileno())
            os.close(self.pidfd)
            self.channel.close()
        return self.total_cpu


def _counts(kind, outcome, res, nonce, failure_counts):
    """Whether the runner's outcome is judged as it is (see the module docstring) or the case runs again.

    `failure_counts`: a non-zero exit is judged as it is (a runner's first case, or a sample that already has its
    first failure)."""
    if outcome.state in ("cpu", "timeout", "output_limit"):
        return True
    if outcome.state not in ("reported", "died") or outcome.code is None or outcome.code < 0:
        return False  # a malformed channel, or a signal (a filter's SIGSYS, a C stack overflow, ...)
    if res.startswith(b"EXC MemoryError"):
        return False  # the runner's own few hundred kB could make the difference at the limit
    if outcome.code == child.HARNESS_FAILED:
        return False  # the runner itself may have failed (the program runs again in a process of its own)
    if outcome.code != 0:
        return failure_counts
    if kind == "stdio":
        return True
    return failure_counts or res.startswith(b"RET " + nonce.encode("ascii") + b" ") or res.startswith(b"BAD ")


class RunnerSession:
    """The runner(s) of one job: started on demand, replaced after a case that stopped one.

    A case goes to a runner only while /tmp is empty: a case that runs again must find /tmp as the runner's
    attempt found it (the harness empties it), and a sample whose program keeps files there runs its later
    cases in processes of their own, where they see /tmp as the earlier cases left it.
    """

    def __init__(self, job, program_code):
        self._job = job
        self._program_code = program_code
        self._runner = None
        self._usable = True
        self._failed = False
        self._stdin_fd = None

    def run_case(self, index, nonce, case, devnull):
        """(report fields or None, attempts in a runner): fields when a runner's outcome counts; None: run the case
        in a process of its own (no runner is alive then: that run ends by killing every other process)."""
        attempts = 0
        for _ in range(2):  # a failure after earlier cases runs again once, on a fresh runner
            fields, attempted = self._attempt(index, nonce, case, devnull)
            attempts += attempted
            if fields is not None or not attempted:
                break
        return fields, attempts

    def _attempt(self, index, nonce, case, devnull):
        if self._usable and os.listdir("/tmp"):
            self._usable = False
        runner_ = (self._runner or self._start()) if self._usable else None
        if runner_ is None:
            self.stop_runner()
            return None, False
        kind = self._job["kind"]
        stdin_fd = self._stdin(case.get("input"), devnull) if kind == "stdio" else devnull
        outcome, fields = runner_.run_case(index, nonce, stdin_fd, self._job["limits"])
        first_case = runner_.cases == 1
        counts = _counts(kind, outcome, fields["res"], nonce, first_case or self._failed)
        if not counts:
            runner_.stop()
            # Not even a fresh runner gives this case's verdict, or the program creates threads or processes
            # (its filter killed it): the rest of the sample runs in processes of their own.
            self._usable = not first_case and outcome.code != -_signal.SIGSYS
        if not runner_.alive:
            self._runner = None
        if not counts:
            return None, True
        state = outcome.state if outcome.state in ("timeout", "output_limit") else "exit"
        run = dict(fields, st=state, code=outcome.code)
        self.note(run)
        return run, True

    def note(self, run):
        """Remember whether the sample has its first failure (a failing exit, a signal, a limit: whichever process
        ran the case). From then on a used runner's failures are judged as they are: the sample's verdict is its
        first failing test, already decided by a fresh process."""
        self._failed = self._failed or run["st"] != "exit" or run["code"] != 0

    def _stdin(self, text, devnull):
        """The case's stdin: one memfd per sample, rewritten for each case (a fresh one per case costs a tmpfs
        inode made and evicted every time)."""
        if text is None:
            return devnull
        if self._stdin_fd is None:
            self._stdin_fd = os.memfd_create("stdin", 0)
        data = text.encode("utf-8", "surrogateescape")
        # Overwrite, then cut what is left beyond (whatever the last case or its program left there): cheaper than
        # emptying the file first, which frees its pages only to allocate them again.
        os.lseek(self._stdin_fd, 0, os.SEEK_SET)
        case_io.write_all(self._stdin_fd, data)
        os.ftruncate(self._stdin_fd, len(data))
        os.lseek(self._stdin_fd, 0, os.SEEK_SET)
        return self._stdin_fd

    def _start(self):
        # No handshake: the first case waits in the channel until the runner is ready for it. A runner that could
        # not start dies with HARNESS_FAILED, which never counts as the program's (see `_counts`).
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            _runner_main(self._job, self._program_code, theirs.fileno())
        theirs.close()
        self._runner = _Runner(pid, ours)
        return self._runner

    def stop_runner(self):
        if self._runner is not None:
            self._runner.stop()
            self._runner = None

    def close(self):
        self.stop_runner()
        if self._stdin_fd is not None:
            os.close(self._stdin_fd)
