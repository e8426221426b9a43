"""Running one job on a slot and the host-side backstops (timeouts, caps, cleanup, survivor checks).

A `Slot` owns one unprivileged uid and is used by one pool thread at a time, so RLIMIT_NPROC, which the kernel
counts per real uid, is a per-sandbox budget and concurrent samples never share a uid. In zygote mode the slot
keeps one long-lived zygote sandbox and sends it one job frame per sample; in launch mode it starts one bwrap
per sample and keeps the *next* one already launched ("pre-warmed") so the start-up is off the critical path.

Kill and cleanup, in layers: the harness SIGKILLs and reaps every process of the sample's pid namespace after
each test case (it is that namespace's init, so it sees every orphan); when it exits, the kernel kills anything
left in the namespace. If a job overruns its wall budget, or the slot's cgroup OOM-kills anything (checked
every 100 ms), the host SIGKILLs the whole bwrap process group (``--die-with-parent`` takes the sandbox down
with it) and then scans the host's /proc for any process still running as the slot's uid, killing it.

A zygote that dies under a job (killed from outside, or already dying when the slot checked it: SIGKILL lands
asynchronously) is the host's failure, not the sample's, which cannot reach it: the job runs once more on a
fresh zygote instead of costing the sample a `sandbox_error` verdict.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass

from resources.sandbox.bwrap import LaunchSpec, bwrap_argv
from resources.sandbox.cgroups import SlotCgroup, confine

SANDBOX_GONE_BEFORE_JOB = "sandbox exited before it received the job"
ZYGOTE_EXITED = "zygote exited during the job"
ZYGOTE_LOST = (SANDBOX_GONE_BEFORE_JOB, ZYGOTE_EXITED)


@dataclass
class RawRun:
    """What came back from one job, before any judging."""

    events: list[dict]
    returncode: int | None = None
    stderr: bytes = b""
    wall_s: float = 0.0
    host_timeout: bool = False
    error: str | None = None
    survivors: int = 0
    oom_killed: bool = False  # the slot's cgroup OOM-killed something during this job
    oom_stopped: bool = False  # ...while a case was running, so the host stopped the sandbox right away


def processes_of_uid(uid: int) -> list[int]:
    """Host pids whose real uid is `uid` (used to prove that nothing of a sandbox survived)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(name))
                        break
        except (OSError, ValueError):
            continue  # the process exited while we looked
    return found


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL bwrap's process group.

    Until bwrap's sandbox child calls setsid() it shares the outer process's group, and until shortly before
    exec it has no parent-death signal: killing only the outer bwrap in that window (bwrap 0.8) leaves the
    child blocked forever on its setup eventfd. After setsid the child has --die-with-parent's PDEATHSIG, or
    (in the few instructions between) exits on EOF of its job pipe.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


class Slot:
    """One sandbox uid plus its zygote or pre-warmed launch. Not thread-safe: one pool thread owns it."""

    def __init__(
        self, index: int, uid: int, spec: LaunchSpec, prewarm: bool = True, cgroup: SlotCgroup | None = None
    ) -> None:
        self.index = index
        self.uid = uid
        self.cgroup = cgroup
        self._spec = spec
        self._prewarm = prewarm and spec.mode == "launch"
        self._proc: subprocess.Popen[bytes] | None = None  # the zygote, or the pre-warmed launch
        self._pending = b""
        self._ooms = 0
        self._ooms_at_start = 0

    def run(self, job: dict, budget_s: float, report_cap: int) -> RawRun:
        job = dict(
            job,
            uid=self.uid if self._spec.privileged else -1,
            tmp_bytes=self._spec.tmp_bytes,
            seccomp=self._spec.seccomp_sample,
            seccomp_runner=self._spec.seccomp_runner,
        )
        blob = marshal.dumps(job)
        start = time.monotonic()
        self._ooms = self._ooms_at_start = self.cgroup.oom_kills() if self.cgroup else 0
        if self._spec.mode == "zygote":
            run = self._run_zygote(blob, start + budget_s, report_cap)
        else:
            run = self._run_launch(blob, start + budget_s, report_cap)
        run.wall_s = time.monotonic() - start
        run.oom_killed = self.cgroup is not None and self.cgroup.oom_kills() > self._ooms
        if run.host_timeout or run.oom_stopped or run.error:
            run.survivors = self._reap_uid()
        return run

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        # Retire an idle sandbox by EOF on its job pipe (harness and zygote then exit) rather than by SIGKILL:
        # a freshly launched one may still be in bwrap's setup, where killing the outer process can strand
        # the inner one.
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            proc.wait()
        _close_pipes(proc)

    # -- modes -------------------------------------------------------------------------------------------

    def _run_launch(self, blob: bytes, deadline: float, report_cap: int) -> RawRun:
        proc = self._take_live() or self._spawn()
        run = RawRun(events=[])
        try:
            self._send(proc, blob, run, deadline)
            if not run.host_timeout:
                self._read_events(proc, deadline, report_cap, run, until_end=False)
        finally:
            if proc.poll() is None:
                _kill_group(proc)
            proc.wait()
            _close_pipes(proc)
        run.returncode = proc.returncode
        if not run.error and proc.returncode != 0 and not (run.host_timeout or run.oom_stopped):
            run.error = f"sandbox exited with status {proc.returncode}"
        if self._prewarm:
            self._proc = self._spawn()
        return run

    def _run_zygote(self, blob: bytes, deadline: float, report_cap: int) -> RawRun:
        run = self._zygote_attempt(blob, deadline, report_cap)
        if run.error in ZYGOTE_LOST and not self._oom_since_start():
            # The zygote died under the job (killed from outside, or dying already when `_take_live` looked:
            # SIGKILL lands asynchronously). Its samples cannot kill it (other pid namespace, other uid), so
            # this is the host's fault, not the sample's: run the job once more on a fresh zygote.
            run = self._zygote_attempt(blob, deadline, report_cap)
        return run

    def _oom_since_start(self) -> bool:
        return self.cgroup is not None and self.cgroup.oom_kills() > self._ooms_at_start

    def _zygote_attempt(self, blob: bytes, deadline: float, report_cap: int) -> RawRun:
        proc = self._take_live() or self._spawn()
        run = RawRun(events=[])
        self._send(proc, len(blob).to_bytes(8, "little") + blob, run, deadline)
        if not run.error and not run.host_timeout:
            self._read_events(proc, deadline, report_cap, run, until_end=True)
        if run.error or run.host_timeout or run.oom_stopped or proc.poll() is not None:
            # The zygote is in an unknown state: discard it; the next job starts a fresh one.
            _kill_group(proc)
            proc.wait()
            _close_pipes(proc)
            run.returncode = proc.returncode
            self._pending = b""
        else:
            self._proc = proc
        return run

    # -- plumbing ----------------------------------------------------------------------------------------

    def _take_live(self) -> subprocess.Popen[bytes] | None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is not None:
            proc.wait()
            _close_pipes(proc)
            self._pending = b""
            return None  # died while idle (e.g. killed from outside): start a fresh one
        return proc

    def _spawn(self) -> subprocess.Popen[bytes]:
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, self._spec.seccomp_outer)  # a few hundred bytes: fits in the pipe buffer
            os.close(write_fd)
            proc = subprocess.Popen(
                bwrap_argv(self._spec, read_fd),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                close_fds=True,
                pass_fds=(read_fd,),
                bufsize=0,
                process_group=0,
            )
        finally:
            os.close(read_fd)
        confine(proc.pid, self.cgroup)  # before any job exists, so all untrusted code starts inside
        return proc

    @staticmethod
    def _send(proc: subprocess.Popen[bytes], data: bytes, run: RawRun, deadline: float) -> None:
        """Write the job without ever blocking past the deadline (a wedged sandbox must not hang a worker)."""
        assert proc.stdin is not None
        fd = proc.stdin.fileno()
        os.set_blocking(fd, False)
        view = memoryview(data)
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        try:
            while view:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    run.host_timeout = True
                    return
                if poller.poll(remaining * 1000.0):
                    try:
                        view = view[os.write(fd, view) :]
                    except BlockingIOError:
                        continue
        except (BrokenPipeError, ConnectionResetError):
            run.error = SANDBOX_GONE_BEFORE_JOB

    def _read_events(
        self, proc: subprocess.Popen[bytes], deadline: float, report_cap: int, run: RawRun, until_end: bool
    ) -> None:
        """Collect JSON-line events until `end` (zygote) or EOF (launch), the deadline or the report cap."""
        assert proc.stdout is not None and proc.stderr is not None
        if not until_end:
            assert proc.stdin is not None
            proc.stdin.close()
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        poller = select.poll()
        poller.register(out_fd, select.POLLIN)
        poller.register(err_fd, select.POLLIN)
        open_fds = {out_fd, err_fd}
        buffer, size, stderr = self._pending, 0, bytearray()
        self._pending = b""
        # With a cgroup, look at its OOM counter every 100 ms: a sample over its memory budget is stopped at
        # once instead of lingering until the time limit with whatever the OOM killer left alive.
        tick = 0.1 if self.cgroup is not None else 3600.0
        while out_fd in open_fds:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                run.host_timeout = True
                break
            ready = poller.poll(min(remaining, tick) * 1000.0)
            if self.cgroup is not None and self.cgroup.oom_kills() > self._ooms:
                run.oom_stopped = True
                break
            for fd, _ in ready:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    poller.unregister(fd)
                    open_fds.discard(fd)
                elif fd == err_fd:
                    stderr += chunk
                    del stderr[:-8192]
                else:
                    buffer += chunk
                    size += len(chunk)
            *lines, buffer = buffer.split(b"\n")
            ooms_read = None  # the OOM counter, read once per chunk of lines (see below)
            for number, line in enumerate(lines):
                try:
                    event = json.loads(line)
                except ValueError:
                    run.error = run.error or "malformed harness report line"
                    continue
                if until_end and event.get("ev") == "end":
                    self._pending = b"".join(rest + b"\n" for rest in lines[number + 1 :]) + buffer
                    run.stderr = bytes(stderr)
                    return
                if event.get("ev") == "case":
                    # Attribute cgroup OOM kills to the case that was running when they happened (the key is
                    # always the host's own, whatever the event carried). Every line of this chunk was written
                    # before it was read, so kills counted by then belong to its first case event, and kills
                    # after that to a later one: one read per chunk (a shared runner's cases come as one chunk).
                    if ooms_read is None:
                        ooms_read = self.cgroup.oom_kills() if self.cgroup is not None else 0
                    event["oom"] = ooms_read > self._ooms
                    self._ooms = ooms_read
                run.events.append(event)
            if size > report_cap:
                run.error = "harness report exceeded its cap"
                break
        if until_end and not (run.host_timeout or run.oom_stopped or run.error):
            run.error = ZYGOTE_EXITED
        run.stderr = bytes(stderr)

    def _reap_uid(self) -> int:
        """After an abnormal end, wait for (and if needed kill) anything still running as this slot's uid."""
        if not self._spec.privileged:
            return 0
        deadline = time.monotonic() + 3.0
        survivors = processes_of_uid(self.uid)
        while survivors and time.monotonic() < deadline:
            for pid in survivors:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)
            survivors = processes_of_uid(self.uid)
        return len(survivors)


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None and not stream.closed:
            with contextlib.suppress(OSError):
                stream.close()
