"""The ``stdio10`` part of the sandbox benchmark (benchmarks/sandbox.py): the designs measured side by side
(bare python3, this checkout's sandbox per test / shared runner, an older revision's sandbox in a child process),
the interleaved driver and its report."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sandbox_load import PYTHON, cpu_busy_seconds, own_cpu_seconds
from sandbox_samples import TESTS_PER_SAMPLE, Sample, stdio10_samples

from resources.sandbox import SandboxResource
from resources.sandbox.compare import compare_stdout

REPO = Path(__file__).resolve().parents[1]
# The entry script: a baseline child is started as ``sandbox.py serve-baseline``, which puts the older revision's
# ``resources`` first on sys.path before importing this module.
ENTRY = Path(__file__).with_name("sandbox.py")


def _bare_verdict(program: str, tests: dict[str, Any], timeout_s: float) -> str:
    """Our own trusted program, run per test by a bare python3 subprocess: pass / wrong_answer / runtime_error."""
    verdict = "pass"
    for case in tests["cases"]:
        run = subprocess.run(
            [PYTHON, "-c", program], input=case["input"], capture_output=True, text=True, timeout=timeout_s
        )
        if verdict == "pass" and run.returncode != 0:
            verdict = "runtime_error"
        elif verdict == "pass" and compare_stdout(case["output"], run.stdout) is not None:
            verdict = "wrong_answer"
    return verdict


class BareDesign:
    """A bare python3 subprocess per test, no sandbox: only ever this benchmark's own trusted programs."""

    name = "bare"

    def __init__(self, workers: int) -> None:
        self._threads = ThreadPoolExecutor(workers)

    def start(self) -> None:
        pass

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        return list(self._threads.map(lambda sample: _bare_verdict(*sample, timeout_s=30.0), samples))

    def close(self) -> float:
        self._threads.shutdown()
        return 0.0  # its subprocesses were reaped (and counted) chunk by chunk


class SandboxDesign:
    """This checkout's sandbox: a process per test (`per_test`) or the shared runner (`shared`)."""

    def __init__(self, name: str, workers: int, mode: str) -> None:
        self.name = name
        self._sandbox = SandboxResource(mode=mode, workers=workers, reuse_process=name.startswith("shared"))

    def start(self) -> None:
        self._sandbox.check_available()

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        return [verdict.verdict.value for _, verdict in self._sandbox.verify_many(samples, ordered=True)]

    def close(self) -> float:
        """Stop the pool; the CPU seconds of its whole process tree (reaped now)."""
        before = own_cpu_seconds()[1]
        self._sandbox.close()
        return own_cpu_seconds()[1] - before


class BaselineDesign:
    """The sandbox of an older revision (``--baseline-rev``), extracted with ``git archive`` and run in a child
    process of this benchmark (two versions of one package cannot share a process), chunk by chunk on demand."""

    name = "baseline"

    def __init__(self, rev: str, workers: int, mode: str, count: int, mix: dict[str, int]) -> None:
        self._root = tempfile.mkdtemp(prefix="amd-baseline-")
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "resources"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", self._root], input=archive.stdout, check=True)
        mix_text = ",".join(f"{name}={weight}" for name, weight in mix.items())
        command = [sys.executable, str(ENTRY), "serve-baseline", "--root", self._root, "--count", str(count)]
        command += ["--mix", mix_text, "--workers", str(workers), "--mode", mode]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self) -> None:
        self._answer()

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{start} {start + len(samples)}\n")
        self._process.stdin.flush()
        return self._answer()

    def _answer(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the baseline sandbox process ended early (see its stderr above)")
        return json.loads(line)

    def close(self) -> float:
        """Stop the child; the CPU seconds it and its sandbox process tree used since it was ready (its own
        start-up, importing Dagster, is not the sandbox's cost)."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        used = self._answer()
        self._process.wait()
        shutil.rmtree(self._root, ignore_errors=True)
        return float(used)


def serve_baseline(count: int, mix: dict[str, int], workers: int, mode: str) -> None:
    """The child side of `BaselineDesign` (``resources`` is the older revision's here): verify the chunks asked
    for on stdin (``start end`` lines), answer each with a JSON line of verdicts; at EOF, the CPU seconds used."""
    samples = [sample for _, _, sample in stdio10_samples(count, mix)]
    sandbox = SandboxResource(mode=mode, workers=workers)
    sandbox.check_available()
    ready = sum(own_cpu_seconds())
    print("[]", flush=True)
    try:
        for line in sys.stdin:
            start, end = map(int, line.split())
            verdicts = [verdict.verdict.value for _, verdict in sandbox.verify_many(samples[start:end], ordered=True)]
            print(json.dumps(verdicts), flush=True)
    finally:
        sandbox.close()  # reaps the pool's processes: their CPU is ours from here
    print(json.dumps(sum(own_cpu_seconds()) - ready), flush=True)


Design = BareDesign | SandboxDesign | BaselineDesign


def _chunks(items: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _designs(
    workers: int, mode: str, baseline_rev: str | None, count: int, mix: dict[str, int], shared_workers: Sequence[int]
) -> list[Design]:
    designs: list[Design] = [BareDesign(workers), SandboxDesign("per_test", workers, mode)]
    designs.append(SandboxDesign("shared", workers, mode))
    if baseline_rev:
        designs.append(BaselineDesign(baseline_rev, workers, mode, count, mix))
    designs += [SandboxDesign(f"shared_w{number}", number, mode) for number in shared_workers]
    return designs


def stdio10(
    rounds: int,
    chunk: int,
    workers: int,
    mode: str,
    mix: dict[str, int],
    baseline_rev: str | None = None,
    shared_workers: Sequence[int] = (),
) -> dict[str, Any]:
    """Samples/s of the designs, interleaved: each round runs the same chunk through every design, in a rotating
    order."""
    workers = workers or os.cpu_count() or 1
    triples = stdio10_samples(rounds * chunk, mix)
    samples = [sample for _, _, sample in triples]
    designs = _designs(workers, mode, baseline_rev, len(samples), mix, shared_workers)
    names = [design.name for design in designs]
    warm_up = samples[: 2 * max([workers, *shared_workers])]
    figures = {key: dict.fromkeys(names, 0.0) for key in ("seconds", "machine_cpu", "own_cpu")}
    verdicts: dict[str, list[str]] = {name: [] for name in names}
    per_round: list[dict[str, float]] = []
    try:
        for design in designs:
            design.start()
            design.verify(0, warm_up)  # zygotes started, caches hot
        for number, (start, part) in enumerate(_chunks(samples, chunk)):
            timings = {}
            turn = number % len(designs)
            for design in designs[turn:] + designs[:turn]:
                timings[design.name] = _timed_chunk(design, start, part, verdicts, figures)
            per_round.append({name: len(part) / value for name, value in timings.items()})
    finally:
        for design in designs:
            # What a pool's processes used, over the warm-up and the timed samples, is known once it closed.
            figures["own_cpu"][design.name] += design.close() * len(samples) / (len(samples) + len(warm_up))
    return _stdio10_report(triples, figures, verdicts, per_round, workers, mode, mix)


def _timed_chunk(
    design: Design,
    start: int,
    part: Sequence[Sample],
    verdicts: dict[str, list[str]],
    figures: dict[str, dict[str, float]],
) -> float:
    """Verify `part` with `design`, adding its wall time, machine CPU and own CPU to `figures`; the wall time."""
    busy, (own, children), began = cpu_busy_seconds(), own_cpu_seconds(), time.perf_counter()
    verdicts[design.name] += design.verify(start, part)
    elapsed = time.perf_counter() - began
    own_after, children_after = own_cpu_seconds()
    figures["seconds"][design.name] += elapsed
    figures["machine_cpu"][design.name] += cpu_busy_seconds() - busy
    # Other designs are idle meanwhile: this process's CPU is this design's host side (pool threads, judging).
    figures["own_cpu"][design.name] += (own_after - own) + (children_after - children)
    return elapsed


def _stdio10_report(
    triples: list[tuple[str, str, Sample]],
    figures: dict[str, dict[str, float]],
    verdicts: dict[str, list[str]],
    per_round: list[dict[str, float]],
    workers: int,
    mode: str,
    mix: dict[str, int],
) -> dict[str, Any]:
    count, names = len(triples), list(verdicts)
    rates = {name: count / figures["seconds"][name] for name in names}
    own_ms = {name: figures["own_cpu"][name] / count * 1000 for name in names}
    expected = {"correct": "pass", "wrong": "wrong_answer", "crash": "runtime_error"}
    return {
        "samples": count,
        "tests_per_sample": TESTS_PER_SAMPLE,
        "workers": workers,
        "mode": mode,
        "mix": mix,
        "rounds": len(per_round),
        "samples_per_s": rates,
        "machine_cpu_ms_per_sample": {name: figures["machine_cpu"][name] / count * 1000 for name in names},
        "own_cpu_ms_per_sample": own_ms,
        # If the machine gave us all its cores: what the own CPU per sample allows.
        "samples_per_s_on_idle_cores": {name: (os.cpu_count() or 1) * 1000 / own_ms[name] for name in names},
        "ratios": {
            f"shared/{other}": _ratio(rates, per_round, "shared", other) for other in names if other != "shared"
        },
        "verdicts": {name: dict(Counter(values)) for name, values in verdicts.items()},
        "designs_agree_on_every_sample": all(values == verdicts["shared"] for values in verdicts.values()),
        "as_planted": sum(
            verdict == expected[variant] for (_, variant, _), verdict in zip(triples, verdicts["shared"], strict=True)
        ),
    }


def _ratio(rates: dict[str, float], per_round: list[dict[str, float]], numerator: str, other: str) -> dict[str, float]:
    """samples/s of `numerator` over `other`: overall, and the median and range of the per-round ratios."""
    ratios = [figures[numerator] / figures[other] for figures in per_round]
    overall = rates[numerator] / rates[other]
    return {"overall": overall, "median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


LABELS = {
    "bare": "bare python3 per test",
    "per_test": "sandbox, process per test",
    "shared": "sandbox, shared runner",
    "baseline": "sandbox before (--baseline-rev)",
}


def print_stdio10(report: dict[str, Any]) -> None:
    mix = ", ".join(f"{name} {weight}" for name, weight in report["mix"].items())
    print(
        f"stdio10: {report['samples']} Python stdio samples x {report['tests_per_sample']} tests (mix {mix}), "
        f"{report['workers']} workers per design, {report['mode']} mode, {report['rounds']} interleaved rounds"
    )
    header = ("design", "samples/s", "vs bare", "own CPU ms", "machine CPU ms", "cores/own")
    print("  {:32s} {:>10s} {:>8s} {:>11s} {:>15s} {:>10s}".format(*header))
    bare = report["samples_per_s"]["bare"]
    for name, rate in report["samples_per_s"].items():
        own, machine = report["own_cpu_ms_per_sample"][name], report["machine_cpu_ms_per_sample"][name]
        bound = report["samples_per_s_on_idle_cores"][name]
        label = LABELS.get(name) or f"sandbox, shared runner, {name[len('shared_w') :]} workers"
        print(f"  {label:32s} {rate:10.1f} {rate / bare:7.2f}x {own:11.1f} {machine:15.1f} {bound:10.1f}")
    print(
        "  (own CPU: this process and every process it started, per sample; machine CPU: all processes on the "
        "machine meanwhile; cores/own: samples/s if all cores were ours)"
    )
    for label, ratio in report["ratios"].items():
        print(
            f"  {label}: {ratio['overall']:.2f}x overall; per round median {ratio['median']:.2f}x "
            f"(min {ratio['min']:.2f}x, max {ratio['max']:.2f}x)"
        )
    print(
        f"  verdicts: all designs agree on every sample: {report['designs_agree_on_every_sample']}; "
        f"as planted: {report['as_planted']}/{report['samples']}; {report['verdicts']['shared']}"
    )
