"""`SandboxResource`: the Dagster resource that verifies generated programs against test cases."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

import dagster as dg
from pydantic import Field, PrivateAttr

from resources.sandbox.bwrap import SandboxMode, SandboxUnavailableError, resolve_launch
from resources.sandbox.executor import Slot
from resources.sandbox.judge import judge
from resources.sandbox.pool import SandboxPool
from resources.sandbox.testspec import TestSpec, TestSpecError, parse_tests, sandbox_cases
from resources.sandbox.verdicts import CodeVerdict, Verdict, sample_failure

TestsLike = Mapping[str, Any] | str | bytes
_MB = 1 << 20


class SandboxResource(dg.ConfigurableResource):
    """Runs untrusted programs in bubblewrap sandboxes and judges them against their test cases.

    Refuses to run anything (SandboxUnavailableError, with the install command) when bubblewrap is missing:
    there is no unsandboxed mode. The pool is created on first use and closed by ``close()`` or at the end of
    a Dagster execution.
    """

    bwrap_path: str = Field(default="bwrap", description="bubblewrap executable (Debian package bubblewrap).")
    mode: SandboxMode = Field(
        default="zygote",
        description="'zygote': one bwrap per worker builds fresh namespaces per sample (fast); "
        "'launch': one bwrap launch per sample.",
    )
    python_executable: str = Field(
        default="", description="Interpreter inside the sandbox; default /usr/bin/python3, else the host's."
    )
    cxx_command: list[str] = Field(
        default=["g++", "-O2", "-std=c++17", "-pipe"], description="C++ compiler argv (run inside the sandbox)."
    )
    workers: int = Field(default=0, description="Concurrent sandboxes; 0 = number of CPU cores.")
    uid_base: int = Field(default=60000, description="First uid of the range sandboxes run as (one per slot).")
    uid_count: int = Field(default=1000, description="Size of that uid range.")
    uid_lock_dir: str = Field(default="/run/amd-sandbox", description="Where per-uid claim locks live.")
    max_tests: int = Field(default=10, description="Only the first N test cases of a sample are run.")
    time_limit_s: float = Field(
        default=5.0, description="CPU-time limit per test (all processes of the test): decides time_limit."
    )
    wall_limit_s: float = Field(
        default=0.0,
        description="Wall-clock backstop per test, for programs that block instead of computing; "
        "0 = max(3 x time_limit_s, time_limit_s + 10). Generous on purpose: verdicts must not depend on load.",
    )
    sample_time_limit_s: float = Field(default=120.0, description="Host-enforced wall budget per launch.")
    memory_limit_mb: int = Field(default=1024, description="RLIMIT_AS per process.")
    sample_memory_limit_mb: int = Field(
        default=2048, description="cgroup memory limit for all processes and /tmp of one sample (if cgroups)."
    )
    cgroups: str = Field(
        default="auto", description="'auto' (v1 memory+pids, or v2 if delegated), 'off', or a v2 cgroup directory."
    )
    stack_limit_mb: int = Field(default=64, description="RLIMIT_STACK per process.")
    max_processes: int = Field(default=32, description="RLIMIT_NPROC (processes + threads of the slot uid).")
    max_open_files: int = Field(default=64, description="RLIMIT_NOFILE.")
    max_file_size_mb: int = Field(default=16, description="RLIMIT_FSIZE.")
    tmp_size_mb: int = Field(default=64, description="Size of the sandbox's private /tmp (tmpfs).")
    stdout_limit_kb: int = Field(default=4096, description="stdout cap per test; beyond it: output_limit.")
    stderr_limit_kb: int = Field(default=1024, description="stderr cap per test; beyond it: output_limit.")
    max_program_kb: int = Field(default=1024, description="Larger programs are rejected as compile_error.")
    compile_time_limit_s: float = Field(default=30.0, description="Wall-clock limit for compiling C++.")
    compile_memory_limit_mb: int = Field(default=2048, description="RLIMIT_AS for the compiler.")
    strict_assert_eq: bool = Field(default=True, description="Rewrite == in asserts to defeat always-equal objects.")
    stop_after_timeout: bool = Field(default=True, description="Skip remaining tests after a time limit.")
    reuse_process: bool = Field(
        default=True,
        description="Python stdio/function_call tests of a sample run one after another in one unprivileged "
        "process that may not create threads or processes (one fork per sample instead of per test); a test "
        "that does not end cleanly there runs again in a process of its own. False: a process per test.",
    )
    prewarm: bool = Field(default=True, description="launch mode: keep each slot's next sandbox launched.")
    extra_ro_binds: list[str] = Field(default=[], description="Extra host paths bound read-only (e.g. a venv).")

    _pool: SandboxPool | None = PrivateAttr(default=None)
    _pool_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    # -- lifecycle ---------------------------------------------------------------------------------------

    def check_available(self) -> None:
        """Create the pool now (raises SandboxUnavailableError, with the install command, if bwrap is missing)."""
        self._get_pool()

    def slot_uids(self) -> list[int]:
        """The unprivileged uids this pool's sandboxes run as (one per worker), e.g. for monitoring."""
        return list(self._get_pool().uids)

    def close(self) -> None:
        """Stop the workers and their sandboxes."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close()

    def _get_pool(self) -> SandboxPool:
        with self._pool_lock:
            if self._pool is None:
                workdir = tempfile.mkdtemp(prefix="amd-sandbox-")  # 0700: the compiled harness
                try:
                    spec = resolve_launch(
                        self.bwrap_path,
                        self.python_executable,
                        self.tmp_size_mb * _MB,
                        tuple(self.extra_ro_binds),
                        workdir,
                        self.mode,
                    )
                    workers = self.workers or os.cpu_count() or 1
                    self._pool = SandboxPool(
                        spec,
                        workers,
                        self.uid_base,
                        self.uid_count,
                        self.uid_lock_dir,
                        self.prewarm,
                        workdir,
                        cgroup_setting=self.cgroups if spec.privileged else "off",
                        cgroup_memory_bytes=self.sample_memory_limit_mb * _MB,
                        # + zygote, its per-sample intermediate, the harness and a compiler's helpers
                        cgroup_pids=self.max_processes + 16,
                    )
                except BaseException:
                    shutil.rmtree(workdir, ignore_errors=True)
                    raise
            return self._pool

    # -- verification ------------------------------------------------------------------------------------

    def verify(self, program: str, tests: TestsLike) -> CodeVerdict:
        """Run `program` against the first `max_tests` cases of `tests` in one sandbox launch."""
        return self._submit(program, tests).result()

    def verify_many(
        self, samples: Iterable[tuple[str, TestsLike]], *, ordered: bool = False
    ) -> Iterator[tuple[int, CodeVerdict]]:
        """Verify (program, tests) pairs on all workers, streaming ``(input index, verdict)``.

        Results come in *completion* order by default (fastest throughput; use the index to match them up),
        or in input order with ``ordered=True``. The input is consumed lazily, at most 2 x workers ahead, so
        an arbitrarily long iterator is never materialized. A hostile sample only ever yields a failed
        verdict; it never stops the stream.
        """
        window = 2 * self._get_pool().workers
        source = iter(enumerate(samples))
        if ordered:
            pending: deque[tuple[int, Future[CodeVerdict]]] = deque()
            for index, (program, tests) in source:
                pending.append((index, self._submit(program, tests)))
                if len(pending) >= window:
                    done_index, future = pending.popleft()
                    yield done_index, future.result()
            while pending:
                done_index, future = pending.popleft()
                yield done_index, future.result()
            return
        running: dict[Future[CodeVerdict], int] = {}
        exhausted = False
        while running or not exhausted:
            while not exhausted and len(running) < window:
                item = next(source, None)
                if item is None:
                    exhausted = True
                else:
                    running[self._submit(item[1][0], item[1][1])] = item[0]
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield running.pop(future), future.result()

    def _submit(self, program: str, tests: TestsLike) -> Future[CodeVerdict]:
        pool = self._get_pool()
        try:
            spec = parse_tests(tests, self.max_tests)
        except TestSpecError as exc:
            return _done(sample_failure(Verdict.SANDBOX_ERROR, f"invalid tests: {exc}"))
        if not isinstance(program, str):
            return _done(sample_failure(Verdict.SANDBOX_ERROR, "program must be a string", n_tests=len(spec.cases)))
        if len(program.encode("utf-8", "surrogatepass")) > self.max_program_kb * 1024:
            return _done(
                sample_failure(Verdict.COMPILE_ERROR, "program exceeds max_program_kb", n_tests=len(spec.cases))
            )
        if spec.language == "cpp" and shutil.which(self.cxx_command[0]) is None:
            return _done(
                sample_failure(Verdict.SANDBOX_ERROR, f"C++ compiler {self.cxx_command[0]!r} is not installed")
            )
        return pool.submit(lambda slot: self._run_on(slot, program, spec))

    def _run_on(self, slot: Slot, program: str, spec: TestSpec) -> CodeVerdict:
        try:
            job = self._job(program, spec)
            # A test that fails in the shared runner runs again in its own process: up to two backstops each.
            reruns = 2 if self.reuse_process else 1
            budget = len(spec.cases) * (reruns * self.wall_backstop_s + 1.0) + 10.0
            if spec.language == "cpp":
                budget += self.compile_time_limit_s
            run = slot.run(job, min(budget, self.sample_time_limit_s), self._report_cap(len(spec.cases)))
            return judge(spec, run, self.time_limit_s, self.wall_backstop_s)
        except SandboxUnavailableError:
            raise
        except Exception as exc:  # a bug or an OS error must cost one verdict, not the worker
            return sample_failure(Verdict.SANDBOX_ERROR, f"{type(exc).__name__}: {exc}", n_tests=len(spec.cases))

    def _job(self, program: str, spec: TestSpec) -> dict[str, Any]:
        limits = {
            "cpu_s": max(1, math.ceil(self.time_limit_s)),
            "wall_s": self.wall_backstop_s,
            "as_bytes": self.memory_limit_mb * _MB,
            "stack_bytes": self.stack_limit_mb * _MB,
            "nproc": self.max_processes,
            "nofile": self.max_open_files,
            "fsize_bytes": self.max_file_size_mb * _MB,
            "stdout_cap": self.stdout_limit_kb * 1024,
            "stderr_cap": self.stderr_limit_kb * 1024,
        }
        job: dict[str, Any] = {
            "kind": spec.kind,
            "language": spec.language,
            "program": program,
            "entry_point": spec.entry_point,
            "setup": spec.setup,
            "cases": sandbox_cases(spec, self.strict_assert_eq),
            "limits": limits,
            "stop_after_timeout": self.stop_after_timeout,
            "reuse_process": self.reuse_process,
        }
        if spec.language == "cpp":
            job["compile"] = {
                "argv": [shutil.which(self.cxx_command[0]) or self.cxx_command[0], *self.cxx_command[1:]],
                "wall_s": self.compile_time_limit_s,
                "cpu_s": max(1, math.ceil(self.compile_time_limit_s)),
                "as_bytes": self.compile_memory_limit_mb * _MB,
            }
        return job

    @property
    def wall_backstop_s(self) -> float:
        """The wall-clock backstop per test (see `wall_limit_s`)."""
        return self.wall_limit_s or max(3 * self.time_limit_s, self.time_limit_s + 10.0)

    def _report_cap(self, n_cases: int) -> int:
        # stdout and the status record (a function's return value) are both capped at stdout_limit; base64.
        per_case = (2 * self.stdout_limit_kb * 1024 + 2 * 65536) * 4 // 3 + 16384
        return (n_cases + 1) * per_case + (1 << 20)


def _done(verdict: CodeVerdict) -> Future[CodeVerdict]:
    future: Future[CodeVerdict] = Future()
    future.set_result(verdict)
    return future
