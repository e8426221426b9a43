"""Finding bubblewrap and the sandbox interpreter, and building the bwrap command line.

Two isolation modes share one confinement recipe:

``zygote`` (default)
    One long-lived bwrap sandbox per slot runs the trusted zygote, which builds fresh pid, net, ipc, uts and
    mount namespaces plus a new /tmp for every sample (see ``zygote.py``). ~3 ms of CPU per sample instead of
    ~25 ms, because neither bwrap nor the interpreter starts again.
``launch``
    One bwrap launch per sample; bwrap itself builds the fresh namespaces. Slower, simplest to reason about.

Either way: privileged bwrap (as root, without a user namespace, so tests can run as real unprivileged uids),
read-only /usr and interpreter, no home, /etc reduced to the dynamic-linker files, no /proc or /sys, only four
device nodes, loopback-only network, cleared environment, ``--new-session``, ``--die-with-parent``,
``--as-pid-1`` (the harness reaps every orphan), no_new_privs and a seccomp filter.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from resources.sandbox.seccomp import build_filter, build_single_process_filter

INSTALL_HINT = "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`"
SandboxMode = Literal["zygote", "launch"]
MODES: tuple[SandboxMode, ...] = get_args(SandboxMode)
HARNESS_DIR = "/opt/amd"
_MODULES = {
    "harness.py": "_amd_harness",
    "harness_child.py": "_amd_harness_child",
    "case_io.py": "_amd_case_io",
    "runner.py": "_amd_runner",
    "runner_control.py": "_amd_runner_control",
    "zygote.py": "_amd_zygote",
    "netns.py": "_amd_netns",
}
_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random")
# Only what dynamic linking and compilers need from /etc: no passwd, shadow, hosts, resolv.conf.
_ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives")
_PROBE = (
    "import py_compile, sys\n"
    "args = sys.argv[1:]\n"
    "for src, dest, shown in zip(args[0::3], args[1::3], args[2::3]):\n"
    "    py_compile.compile(src, cfile=dest, dfile=shown, doraise=True)\n"
    "print(sys.base_prefix)\n"
)


class SandboxUnavailableError(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox here; no code is ever run unsandboxed."""


@dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to build the bwrap command line; resolved once per pool."""

    bwrap: str
    python: str
    python_prefix: str | None
    harness_dir: str
    tmp_bytes: int
    privileged: bool
    mode: str = "zygote"
    extra_ro_binds: tuple[str, ...] = ()
    seccomp_outer: bytes = field(default=b"", repr=False)
    seccomp_sample: bytes = field(default=b"", repr=False)
    seccomp_runner: bytes = field(default=b"", repr=False)


def resolve_launch(
    bwrap: str, python: str, tmp_bytes: int, extra_ro_binds: tuple[str, ...], workdir: str, mode: str = "zygote"
) -> LaunchSpec:
    """Find bwrap and the sandbox interpreter, pre-compile the harness, and refuse if anything is missing."""
    if mode not in MODES:
        raise ValueError(f"unknown sandbox mode {mode!r}; expected one of {MODES}")
    bwrap_path = shutil.which(bwrap)
    if bwrap_path is None:
        raise SandboxUnavailableError(f"bubblewrap ({bwrap!r}) was not found on PATH; {INSTALL_HINT}")
    if not python:
        python = (
            "/usr/bin/python3"
            if os.path.exists("/usr/bin/python3")
            else getattr(sys, "_base_executable", sys.executable)
        )
    python_path = os.path.realpath(shutil.which(python) or python)
    harness_dir = os.path.join(workdir, "opt")
    os.makedirs(harness_dir, exist_ok=True)
    here = Path(__file__).parent
    # (source, compiled file, file name shown in tracebacks: the in-sandbox path, not the host's)
    pairs = [
        arg
        for src, name in _MODULES.items()
        for arg in (str(here / src), f"{harness_dir}/{name}.pyc", f"{HARNESS_DIR}/{name}.py")
    ]
    # Our own trusted code: compiling it with the sandbox interpreter guarantees a matching bytecode magic, and
    # the same call tells us which prefix (the stdlib) must be visible inside.
    probe = subprocess.run(
        [python_path, "-I", "-S", "-c", _PROBE, *pairs], capture_output=True, text=True, timeout=60, env={}
    )
    if probe.returncode != 0:
        raise SandboxUnavailableError(f"sandbox interpreter {python_path} failed: {probe.stderr.strip()}")
    prefix = probe.stdout.strip()
    try:
        seccomp_outer = build_filter(allow_namespace_setup=mode == "zygote")
        seccomp_sample = build_filter(allow_namespace_setup=False)
        seccomp_runner = build_single_process_filter()
    except ValueError as exc:
        raise SandboxUnavailableError(str(exc)) from exc
    return LaunchSpec(
        bwrap=bwrap_path,
        python=python_path,
        python_prefix=None if prefix == "/usr" or prefix.startswith("/usr/") else prefix,
        harness_dir=harness_dir,
        tmp_bytes=tmp_bytes,
        privileged=os.geteuid() == 0,
        mode=mode,
        extra_ro_binds=extra_ro_binds,
        seccomp_outer=seccomp_outer,
        seccomp_sample=seccomp_sample,
        seccomp_runner=seccomp_runner,
    )


def bwrap_argv(spec: LaunchSpec, seccomp_fd: int) -> list[str]:
    """The bwrap command line of one sandbox (one sample in launch mode, one zygote in zygote mode)."""
    zygote = spec.mode == "zygote"
    argv = [spec.bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    if not spec.privileged:
        # Not root: bwrap needs a user namespace and everything inside runs as the caller's uid (weaker: no
        # per-sample uid, RLIMIT_NPROC counted per user namespace). Capabilities are then namespaced.
        argv += ["--unshare-user", "--disable-userns"]
    # As root and without a user namespace the harness can give each test a real, unprivileged uid. bwrap
    # keeps every capability for root by default, so drop them all but what the harness (or zygote) needs.
    caps = ["CAP_KILL", "CAP_SETUID", "CAP_SETGID"] + (["CAP_SYS_ADMIN", "CAP_NET_ADMIN"] if zygote else [])
    argv += ["--cap-drop", "ALL"]
    for cap in caps:
        argv += ["--cap-add", cap]
    # --as-pid-1: the harness (or zygote) is the namespace's init, reaps every orphan, and the outer bwrap
    # waitpid()s it. Without it bwrap's own init outlives the outer process as an orphan that only the host's
    # pid 1 would reap: a zombie per sample where pid 1 does not reap promptly.
    argv += ["--as-pid-1", "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
    for key, value in (("PATH", "/usr/bin:/bin"), ("HOME", "/tmp"), ("LANG", "C.UTF-8"), ("TMPDIR", "/tmp")):
        argv += ["--setenv", key, value]
    argv += ["--ro-bind", "/usr", "/usr"]
    for path in _SYSTEM_DIRS:
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    # bwrap creates missing parent directories as 0700: make the ones programs need traversable. (/opt, which
    # holds only the harness, stays 0700: programs have no business reading it.)
    argv += ["--perms", "0755", "--dir", "/etc", "--perms", "0755", "--dir", "/dev"]
    for path in _ETC_FILES:
        argv += ["--ro-bind-try", path, path]
    if spec.python_prefix:
        argv += ["--ro-bind", spec.python_prefix, spec.python_prefix]
    for path in spec.extra_ro_binds:
        argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", spec.harness_dir, HARNESS_DIR]
    for device in _DEVICES:  # a full `--dev` costs ~2.5 ms per launch; programs only need these
        argv += ["--dev-bind", device, device]
    if zygote:
        argv += ["--dir", "/tmp"]  # each sample mounts its own tmpfs here, in its own mount namespace
    else:
        argv += ["--perms", "1777", "--size", str(spec.tmp_bytes), "--tmpfs", "/tmp"]
    argv += ["--remount-ro", "/", "--seccomp", str(seccomp_fd), "--chdir", "/tmp"]
    entry = "_amd_zygote.main()" if zygote else "_amd_harness.launch_main()"
    module = entry.split(".")[0]
    code = f"import sys; sys.path.insert(0, {HARNESS_DIR!r}); import {module}; {entry}"
    argv += ["--", spec.python, "-I", "-S", "-B", "-X", "utf8", "-c", code]
    return argv
