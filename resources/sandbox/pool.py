"""Worker pool: one long-lived thread per slot, each owning a sandbox uid and its pre-warmed launch.

Threads (not processes) are enough: a worker spends its time waiting on the sandbox's pipes, and the host-side
judging is cheap. The threads live as long as the pool on purpose: bwrap's ``--die-with-parent`` is a
parent-death signal tied to the *thread* that launched it, so a pre-warmed sandbox must be launched by a thread
that outlives it.

Uids are claimed with an exclusive flock per uid (``<lock_dir>/uid-<n>.lock``), so several pools or processes
on one host never share a uid (RLIMIT_NPROC is counted per uid) and a crashed process's claims vanish with it.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import queue
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from resources.sandbox.bwrap import LaunchSpec, SandboxUnavailableError
from resources.sandbox.cgroups import SlotCgroup, create_slot_cgroup
from resources.sandbox.executor import Slot, processes_of_uid

T = TypeVar("T")


def claim_uid(uid_base: int, uid_count: int, lock_dir: str) -> tuple[int, int]:
    """Return (uid, lock fd) for the first free uid in [uid_base, uid_base + uid_count)."""
    os.makedirs(lock_dir, mode=0o700, exist_ok=True)
    for uid in range(uid_base, uid_base + uid_count):
        fd = os.open(os.path.join(lock_dir, f"uid-{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        if processes_of_uid(uid):  # something unrelated runs as this uid: it must not share our budget
            os.close(fd)
            continue
        return uid, fd
    raise SandboxUnavailableError(f"no free sandbox uid in [{uid_base}, {uid_base + uid_count})")


class SandboxPool:
    """`workers` slots served by `workers` threads; `submit(fn)` runs ``fn(slot)`` on the next free one."""

    def __init__(
        self,
        spec: LaunchSpec,
        workers: int,
        uid_base: int,
        uid_count: int,
        lock_dir: str,
        prewarm: bool,
        workdir: str,
        cgroup_setting: str = "off",
        cgroup_memory_bytes: int = 0,
        cgroup_pids: int = 0,
    ) -> None:
        self.workers = workers
        self.uids: list[int] = []
        self._workdir = workdir
        self._queue: queue.SimpleQueue[tuple[Future, Callable[[Slot], object]] | None] = queue.SimpleQueue()
        self._lock_fds: list[int] = []
        self.cgroups: list[SlotCgroup] = []
        self._threads: list[threading.Thread] = []
        self._closed = False
        try:
            for index in range(workers):
                if spec.privileged:
                    uid, fd = claim_uid(uid_base, uid_count, lock_dir)
                    self._lock_fds.append(fd)
                else:
                    uid = os.getuid()
                self.uids.append(uid)
                name = f"amd-sandbox-{os.getpid()}-{uid}"
                cgroup = create_slot_cgroup(cgroup_setting, name, cgroup_memory_bytes, cgroup_pids)
                if cgroup is not None:
                    self.cgroups.append(cgroup)
                slot = Slot(index, uid, spec, prewarm, cgroup)
                thread = threading.Thread(target=self._serve, args=(slot,), name=f"amd-sandbox-{index}", daemon=True)
                thread.start()
                self._threads.append(thread)
        except BaseException:
            self.close()
            raise
        atexit.register(self.close)

    def submit(self, fn: Callable[[Slot], T]) -> Future[T]:
        if self._closed:
            raise RuntimeError("sandbox pool is closed")
        future: Future[T] = Future()
        self._queue.put((future, fn))
        return future

    def _serve(self, slot: Slot) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                future, fn = item
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(slot))
                except BaseException as exc:  # the caller turns this into a verdict; the worker keeps going
                    future.set_exception(exc)
        finally:
            slot.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        for cgroup in self.cgroups:
            cgroup.remove()
        for fd in self._lock_fds:
            os.close(fd)
        shutil.rmtree(self._workdir, ignore_errors=True)
