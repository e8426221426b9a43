"""Shared figures of the sandbox benchmark (benchmarks/sandbox.py): how busy the machine is, the CPU this
process and its children used, and the bare ``python3`` both parts compare the sandbox with."""

from __future__ import annotations

import os
import resource
import sys
import time

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys._base_executable


def cpu_busy_seconds() -> float:
    """Machine-wide busy CPU seconds so far (all cores, all processes), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> tuple[float, float]:
    """(this process, its reaped children) CPU seconds. A sandbox pool's processes are reaped when it closes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def background_load(seconds: float = 2.0) -> float:
    """Fraction of all cores busy while we do nothing."""
    before, start = cpu_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    return (cpu_busy_seconds() - before) / ((time.monotonic() - start) * (os.cpu_count() or 1))
