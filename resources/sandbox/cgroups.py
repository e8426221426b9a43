"""Per-slot cgroups (where available) and OOM-killer preference: bounding what a sample uses *in total*.

rlimits bound each process (RLIMIT_AS) and how many there are (RLIMIT_NPROC), not their sum: a fork bomb
whose children each fill their address space could reach max_processes x memory_limit. Two layers close that:

* every sandbox process gets ``oom_score_adj = 1000`` (inherited by everything it forks), so under memory
  pressure the kernel kills sandboxed code first, never the Dagster worker;
* where a cgroup hierarchy is writable, each slot gets its own cgroup with a memory limit (all processes,
  tmpfs pages and pipes of the sample together) and a pids limit. cgroup v1 memory+pids controllers are found
  automatically (as on this machine); for cgroup v2 the pool uses its own cgroup when memory and pids are
  enabled in its ``cgroup.subtree_control``, or a delegated directory given explicitly. OOM kills inside the
  cgroup are counted so the judge can report them as memory_limit.

Sandbox processes are moved in right after bwrap starts and before any job is sent, so every process that
runs untrusted code is created inside the cgroup. Without a usable hierarchy, cgroups are skipped (rlimits,
NPROC and the OOM preference still apply).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

_V2_ROOT = Path("/sys/fs/cgroup")


def _own_cgroup_paths() -> dict[str, str]:
    """controller (or "" for v2) -> our cgroup path, from /proc/self/cgroup."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


class SlotCgroup:
    """One slot's cgroup(s): memory + pids, in one v2 directory or two v1 directories."""

    def __init__(self, dirs: list[Path], version: int) -> None:
        self.dirs = dirs
        self.version = version
        self._events_fd: int | None = None  # the OOM counter's file, kept open: read for every case

    def add(self, pid: int) -> None:
        for directory in self.dirs:
            (directory / "cgroup.procs").write_text(str(pid))

    def oom_kills(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            if self._events_fd is None:
                name = "memory.events" if self.version == 2 else "memory.oom_control"
                self._events_fd = os.open(self.dirs[0] / name, os.O_RDONLY | os.O_CLOEXEC)
            # "oom_kill N" is never the first line (v2 memory.events, v1 memory.oom_control)
            data = os.pread(self._events_fd, 4096, 0)
            start = data.find(b"\noom_kill ")
            if start >= 0:
                start += len(b"\noom_kill ")
                return int(data[start : data.find(b"\n", start)])
        return 0

    def remove(self) -> None:
        if self._events_fd is not None:
            os.close(self._events_fd)
            self._events_fd = None
        for directory in self.dirs:
            for _ in range(50):  # processes may still be exiting
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def create_slot_cgroup(setting: str, name: str, memory_bytes: int, pids: int) -> SlotCgroup | None:
    """Create the cgroup of one slot per `setting` ("auto", "off" or a v2 directory); None if unavailable."""
    if setting == "off":
        return None
    try:
        if setting != "auto":
            return _create_v2(Path(setting), name, memory_bytes, pids)
        own = _own_cgroup_paths()
        if (_V2_ROOT / "cgroup.controllers").exists():
            return _create_v2(_V2_ROOT / own[""].lstrip("/"), name, memory_bytes, pids)
        if "memory" in own and "pids" in own:
            return _create_v1(own, name, memory_bytes, pids)
    except (OSError, KeyError):
        return None
    return None


def _create_v2(parent: Path, name: str, memory_bytes: int, pids: int) -> SlotCgroup | None:
    enabled = (parent / "cgroup.subtree_control").read_text().split()
    if "memory" not in enabled or "pids" not in enabled:
        return None
    directory = parent / name
    directory.mkdir(exist_ok=True)
    (directory / "memory.max").write_text(str(memory_bytes))
    with contextlib.suppress(OSError):
        (directory / "memory.swap.max").write_text("0")
    (directory / "pids.max").write_text(str(pids))
    return SlotCgroup([directory], 2)


def _create_v1(own: dict[str, str], name: str, memory_bytes: int, pids: int) -> SlotCgroup | None:
    memory = _V2_ROOT / "memory" / own["memory"].lstrip("/") / name
    pid_dir = _V2_ROOT / "pids" / own["pids"].lstrip("/") / name
    if not memory.parent.is_dir() or not pid_dir.parent.is_dir():
        return None
    memory.mkdir(exist_ok=True)
    pid_dir.mkdir(exist_ok=True)
    (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
    with contextlib.suppress(OSError):
        (memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
    (pid_dir / "pids.max").write_text(str(pids))
    return SlotCgroup([memory, pid_dir], 1)


def confine(outer_pid: int, cgroup: SlotCgroup | None, timeout_s: float = 2.0) -> None:
    """Move bwrap's outer process and its sandbox child into `cgroup` and make both preferred OOM victims.

    Called right after launch and before any job is written, when neither has forked anything that runs
    untrusted code. Waits (briefly) for bwrap to create its child.
    """
    children_file = Path(f"/proc/{outer_pid}/task/{outer_pid}/children")
    deadline = time.monotonic() + timeout_s
    children: list[int] = []
    while not children and time.monotonic() < deadline:
        try:
            children = [int(pid) for pid in children_file.read_text().split()]
        except (OSError, ValueError):
            return  # bwrap already exited: the launch will report its own error
        if not children:
            time.sleep(0.0005)
    for pid in (outer_pid, *children):
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/oom_score_adj").write_text("1000")
        if cgroup is not None:
            with contextlib.suppress(ProcessLookupError):
                cgroup.add(pid)
