"""Measuring one job of `benchmarks/e2e.py`: its process tree's memory and CPU, sampled from /proc, and the
steps Dagster recorded for it. Not part of the test suite.

Each job runs as its own `amd materialize --job J` process. While it runs, every `SAMPLE_S` the sampler walks
the process tree (the job, its math-verify workers, sandboxes, dbt) and records:
- the tree's memory: the sum of PSS (proportional set size: pages shared by forked workers counted once, so
  the sum is what the tree really holds; RSS when smaps_rollup is unreadable) and the largest single RSS;
- the tree's CPU seconds so far: utime + stime of every live process plus the cutime + cstime of the children
  they reaped, so a sandbox that lived between two samples is still counted (in its parent).
At the end `os.wait4` gives the exact CPU and ru_maxrss of the whole tree. A step's CPU and peak memory are
read off the samples between its start and end (so steps shorter than a sample or two are approximate).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_S = 0.5
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
GIB = 1 << 30


@dataclass
class Sample:
    at: float  # time.time()
    memory: int  # sum of PSS over the tree, bytes
    largest_rss: int  # largest single process RSS, bytes
    cpu: float  # CPU seconds of the tree so far


def _stat(pid: str) -> tuple[int, float, int] | None:
    """(ppid, utime+stime+cutime+cstime seconds, rss bytes) of a process, None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    cpu = sum(int(fields[i]) for i in (11, 12, 13, 14)) / TICK
    return int(fields[1]), cpu, int(fields[21]) * PAGE


def _pss(pid: int, rss: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


def tree_sample(root: int) -> Sample:
    stats = {int(pid): s for pid in os.listdir("/proc") if pid.isdigit() and (s := _stat(pid)) is not None}
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            tree.append(pid)
            todo += children.get(pid, [])
    memory = sum(_pss(pid, stats[pid][2]) for pid in tree)
    largest = max((stats[pid][2] for pid in tree), default=0)
    return Sample(time.time(), memory, largest, sum(stats[pid][1] for pid in tree))


class TreeSampler:
    """Samples a process tree in a thread until `stop`."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(tree_sample(self.root))
            self._stop.wait(SAMPLE_S)

    def stop(self) -> list[Sample]:
        self._stop.set()
        self._thread.join()
        return self.samples


def window(samples: list[Sample], start: float, end: float) -> tuple[float, int]:
    """(CPU seconds, peak memory) between two instants, from the samples around them."""
    inside = [s for s in samples if start <= s.at <= end]
    before = [s for s in samples if s.at <= start][-1:] or inside[:1]
    after = [s for s in samples if s.at >= end][:1] or inside[-1:]
    edges = before + inside + after
    if not edges:
        return 0.0, 0
    cpu = max(0.0, edges[-1].cpu - edges[0].cpu)
    return cpu, max(s.memory for s in (inside or edges))


@dataclass
class JobMeasure:
    job: str
    returncode: int
    wall_s: float
    cpu_s: float  # exact, from wait4: the job and every descendant it reaped
    max_rss: int  # ru_maxrss of the largest process of the tree, bytes
    peak_memory: int  # largest sampled PSS sum of the tree, bytes
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    samples: list[Sample] = field(default_factory=list)
    log: str = ""


def measure(command: list[str], env: dict[str, str], log: Path) -> JobMeasure:
    """Run `command` (stdout and stderr into `log`), sampling its process tree."""
    load_before = os.getloadavg()
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        sampler = TreeSampler(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        samples = sampler.stop()
    wall = time.monotonic() - started
    return JobMeasure(
        job=command[-1],
        returncode=process.returncode,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss=usage.ru_maxrss * 1024,
        peak_memory=max((s.memory for s in samples), default=0),
        load_before=load_before,
        load_after=os.getloadavg(),
        samples=samples,
        log=str(log),
    )


@dataclass
class Step:
    asset: str
    partition: str | None
    start: float
    end: float
    status: str


def dagster_steps(home: Path, job: str, since: float) -> list[Step]:
    """The steps of the runs of `job` started after `since`, from the instance the job ran in."""
    from dagster import DagsterInstance, DagsterRunStatus  # noqa: F401  (imported for the instance's plugins)

    with DagsterInstance.from_config(str(home)) as instance:
        steps = []
        for run in instance.get_runs():
            if run.job_name != job:
                continue
            stats = instance.get_run_step_stats(run.run_id)
            partition = run.tags.get("dagster/partition")
            for stat in stats:
                if stat.start_time is None or stat.start_time < since:
                    continue
                end = stat.end_time or stat.start_time
                steps.append(Step(stat.step_key, partition, stat.start_time, end, str(stat.status.value)))
    return sorted(steps, key=lambda s: s.start)


def to_json(value: Any) -> Any:
    if isinstance(value, Sample):
        return [round(value.at, 2), value.memory, value.largest_rss, round(value.cpu, 2)]
    return value
