"""The ``overhead`` part of the sandbox benchmark (benchmarks/sandbox.py): the latency of a trivial sample on
one worker against a bare ``python -c pass``, and HumanEval samples/s on a pool sized to the cores."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sandbox_load import PYTHON, cpu_busy_seconds

from resources.sandbox import SandboxResource

REPO = Path(__file__).resolve().parents[1]
HUMANEVAL = REPO / "data" / "samples" / "humaneval" / "humaneval.jsonl"
TRIVIAL_TESTS = {"kind": "stdio", "language": "python", "cases": [{"input": "", "output": ""}]}


def bare_python_ms(python: str, launches: int, flags: tuple[str, ...] = ()) -> float:
    subprocess.run([python, *flags, "-c", "pass"], check=True)
    start = time.perf_counter()
    for _ in range(launches):
        subprocess.run([python, *flags, "-c", "pass"], check=True)
    return (time.perf_counter() - start) / launches * 1000


def sandbox_latency_ms(mode: str, launches: int) -> dict[str, float]:
    resource = SandboxResource(mode=mode, workers=1)
    try:
        resource.check_available()
        for _ in range(5):  # warm up: zygote started, caches hot
            assert resource.verify("pass", TRIVIAL_TESTS).passed
        times, cpu_before = [], cpu_busy_seconds()
        for _ in range(launches):
            start = time.perf_counter()
            verdict = resource.verify("pass", TRIVIAL_TESTS)
            times.append((time.perf_counter() - start) * 1000)
            assert verdict.passed, verdict
        cpu_ms = (cpu_busy_seconds() - cpu_before) / launches * 1000
    finally:
        resource.close()
    return {"mean_ms": statistics.mean(times), "median_ms": statistics.median(times), "machine_cpu_ms": cpu_ms}


def humaneval_rate(mode: str, rounds: int) -> dict[str, Any]:
    with HUMANEVAL.open(encoding="utf-8") as lines:
        problems = [json.loads(line) for line in lines if line.strip()]
    samples = [
        (
            p["prompt"] + p["canonical_solution"],
            {
                "kind": "assert",
                "language": "python",
                "entry_point": p["entry_point"],
                "cases": [{"code": p["test"] + f"\n\ncheck({p['entry_point']})\n"}],
            },
        )
        for p in problems
    ] * rounds
    resource = SandboxResource(mode=mode)  # workers = number of cores
    try:
        resource.check_available()
        list(resource.verify_many(samples[:20]))  # warm-up
        cpu_before, start = cpu_busy_seconds(), time.perf_counter()
        passed = sum(verdict.passed for _, verdict in resource.verify_many(samples))
        elapsed = time.perf_counter() - start
        cpu_ms = (cpu_busy_seconds() - cpu_before) / len(samples) * 1000
        workers = len(resource.slot_uids())
    finally:
        resource.close()
    return {
        "samples": len(samples),
        "passed": passed,
        "workers": workers,
        "seconds": elapsed,
        "samples_per_s": len(samples) / elapsed,
        "machine_cpu_ms_per_sample": cpu_ms,
    }


def overhead(launches: int, humaneval_rounds: int, modes: Sequence[str]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "bare_python_c_pass_ms": bare_python_ms(PYTHON, launches),
        "bare_python_I_S_c_pass_ms": bare_python_ms(PYTHON, launches, ("-I", "-S")),
        "modes": {},
    }
    for mode in modes:
        latency = sandbox_latency_ms(mode, launches)
        latency["overhead_vs_bare_python_ms"] = latency["mean_ms"] - report["bare_python_c_pass_ms"]
        report["modes"][mode] = {"latency": latency, "humaneval": humaneval_rate(mode, humaneval_rounds)}
    return report


def print_overhead(report: dict[str, Any]) -> None:
    bare, bare_is = report["bare_python_c_pass_ms"], report["bare_python_I_S_c_pass_ms"]
    print(f"bare `{PYTHON} -c pass`: {bare:.2f} ms ({bare_is:.2f} ms with -I -S)")
    for mode, figures in report["modes"].items():
        lat, he = figures["latency"], figures["humaneval"]
        print(
            f"[{mode}] trivial sample: {lat['mean_ms']:.2f} ms mean / {lat['median_ms']:.2f} ms median "
            f"(overhead vs bare python: {lat['overhead_vs_bare_python_ms']:+.2f} ms; "
            f"machine CPU {lat['machine_cpu_ms']:.1f} ms/sample)"
        )
        print(
            f"[{mode}] HumanEval: {he['samples_per_s']:.1f} samples/s on {he['workers']} workers "
            f"({he['passed']}/{he['samples']} passed, machine CPU {he['machine_cpu_ms_per_sample']:.1f} ms/sample)"
        )
