"""Code sandbox: run untrusted generated programs against test cases, safely and fast (design §6, issue 3).

Public API
----------
``SandboxResource`` (a ``dagster.ConfigurableResource``; its fields are the limits, see the class)
    ``verify(program: str, tests: Mapping | str) -> CodeVerdict``
        One sandbox launch runs the program against the first ``max_tests`` (default 10, the paper's practice)
        cases of ``tests``, the canonical test-case JSON (kind ``stdio`` | ``assert`` | ``function_call``; see
        ``testspec``).
    ``verify_many(samples: Iterable[tuple[str, Mapping | str]], *, ordered=False)
    -> Iterator[tuple[int, CodeVerdict]]``
        Streams ``(input index, verdict)`` from a pool of ``workers`` (default: CPU cores) sandboxes in
        *completion* order (input order with ``ordered=True``), consuming the input lazily (2 x workers ahead).
    ``check_available() -> None``  starts the pool; raises ``SandboxUnavailableError`` (with the install
        command) if bwrap is missing or cannot start. There is no unsandboxed fallback.
    ``slot_uids() -> list[int]``  the unprivileged uids the sandboxes run as.
    ``close() -> None``  stops the pool (also done at the end of a Dagster execution).

``CodeVerdict`` (frozen dataclass): ``verdict: Verdict``, ``reason: str``, ``tests: tuple[TestResult, ...]``,
``n_tests``, ``failed_test``, ``expected``, ``got`` (truncated), ``stderr_tail``, ``compile_time_s``,
``wall_time_s``; properties ``passed``, ``n_passed``, ``pass_rate``; ``to_dict()``.
``TestResult``: ``index``, ``verdict``, ``time_s`` (wall), ``cpu_s``, ``detail``.
``Verdict`` (StrEnum): pass, wrong_answer, runtime_error, time_limit, memory_limit, output_limit,
compile_error, sandbox_error (could not judge: bad/empty tests, harness failure), skipped (not run after a
time or memory limit).

How a sample is confined
------------------------
* bwrap, run as root without a user namespace: fresh pid, net (loopback only), ipc, uts and mount namespaces;
  read-only /usr and interpreter; no home, no /proc, no /sys; /etc reduced to the dynamic-linker files; four
  device nodes; a private size-bounded tmpfs /tmp; cleared environment; ``--new-session``,
  ``--die-with-parent``, ``--as-pid-1``; capabilities dropped to what the harness needs; no_new_privs and a
  seccomp filter (no user namespaces, keyrings, bpf, perf, io_uring, ptrace, mount, unshare).
  ``mode="zygote"`` (default) keeps one bwrap per worker whose trusted zygote builds those namespaces and the
  /tmp afresh for every sample (``zygote.py``; needs Linux >= 5.8), except the network namespace, which the next
  sample takes over only while no sample sent a packet or left a socket in it (``netns.py``);
  ``mode="launch"`` starts one bwrap per sample.
* Inside, the trusted harness is init of the sample's pid namespace. Each test runs in an unprivileged process
  that sets rlimits (CPU, address space, stack, NPROC, NOFILE, FSIZE, no core files) and drops to the slot's own
  uid (``uid_base`` + n, claimed with a lock per uid) before any untrusted code runs: for Python stdio and
  function_call tests (``reuse_process=True``, the default) one *shared runner* per sample runs the tests one
  after another, a process that cannot create threads or processes or exec (a seccomp filter kills it), so the
  kernel's CPU clock of that one process, read by the harness, decides each test's time limit; a test that does
  not end cleanly there runs again in a fresh runner (its first test) or a process of its own, so a sample's
  first failure is what a fresh process gives (``runner_control``). Other tests, and everything with
  ``reuse_process=False``, get a forked process each. After a test in its own process, and at the end, the
  harness SIGKILLs and reaps every other process of the namespace until none is left.
* Sample totals: per-slot cgroup (memory + pids) where a hierarchy is writable, OOM kills reported as
  memory_limit; every sandbox process is the kernel's preferred OOM victim (oom_score_adj 1000).
* stdout/stderr come back through capped pipes; results travel on a channel only the harness writes;
  expected outputs never enter the sandbox and are compared on the host (``compare``).

Residual risks (documented, not hidden): an assert-style test runs in the same process as the program, so a
program written specifically against this harness (walking its frames to find the per-case nonce) could
forge a pass; ``==`` in asserts is made strict against always-equal objects, and stdio / function_call
tests (compared outside) are not affected. In the shared runner the tests of a sample share one process: a
program written against it could carry input-independent precomputation from one test to the next (each
test's CPU is still counted), and a test that exits 0 is judged on its output even if an earlier test of the
same program left state behind (the runner puts back signal handlers, timers, rlimits, cwd, umask,
environment, builtins and sys settings after each test). The zygote holds CAP_SYS_ADMIN inside its sandbox
(to build namespaces) but only ever runs our code.
"""

from resources.sandbox.bwrap import SandboxUnavailableError
from resources.sandbox.resource import SandboxResource
from resources.sandbox.testspec import TestSpec, TestSpecError, parse_tests
from resources.sandbox.verdicts import CodeVerdict, TestResult, Verdict

__all__ = [
    "CodeVerdict",
    "SandboxResource",
    "SandboxUnavailableError",
    "TestResult",
    "TestSpec",
    "TestSpecError",
    "Verdict",
    "parse_tests",
]
