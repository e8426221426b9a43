"""Benchmark of the code sandbox (not run by the test suite).

Measures, for both isolation modes:
  * per-sample latency of a trivial program (``pass`` against one stdio case) on one worker, against a bare
    ``python -c pass`` of the same interpreter: the sandbox overhead per launch (target <= 5 ms);
  * HumanEval samples verified per second (canonical solutions, one assert test each) on a pool sized to
    the cores (target >= 60/s on 2 cores).

Also reports how busy the machine was *before* starting (other processes steal the same cores) and the
machine-wide CPU time spent per sample, so figures from a shared machine can be read correctly.

    uv run python benchmarks/sandbox.py [--rounds 3] [--launches 200] [--modes zygote launch] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.sandbox import SandboxResource

HUMANEVAL = Path(__file__).resolve().parents[1] / "data" / "samples" / "humaneval" / "humaneval.jsonl"
TRIVIAL_TESTS = {"kind": "stdio", "language": "python", "cases": [{"input": "", "output": ""}]}


def _cpu_busy_seconds() -> float:
    """Machine-wide busy CPU seconds so far (all cores, all processes), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def background_load(seconds: float = 2.0) -> float:
    """Fraction of all cores busy while we do nothing."""
    before, start = _cpu_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    return (_cpu_busy_seconds() - before) / ((time.monotonic() - start) * (os.cpu_count() or 1))


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
        times, cpu_before = [], _cpu_busy_seconds()
        for _ in range(launches):
            start = time.perf_counter()
            verdict = resource.verify("pass", TRIVIAL_TESTS)
            times.append((time.perf_counter() - start) * 1000)
            assert verdict.passed, verdict
        cpu_ms = (_cpu_busy_seconds() - cpu_before) / launches * 1000
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
        cpu_before, start = _cpu_busy_seconds(), time.perf_counter()
        passed = sum(verdict.passed for _, verdict in resource.verify_many(samples))
        elapsed = time.perf_counter() - start
        cpu_ms = (_cpu_busy_seconds() - cpu_before) / len(samples) * 1000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="HumanEval passes (164 samples each)")
    parser.add_argument("--launches", type=int, default=200, help="sequential trivial samples for latency")
    parser.add_argument("--modes", nargs="+", default=["zygote", "launch"], choices=["zygote", "launch"])
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    args = parser.parse_args()

    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys._base_executable
    report: dict[str, Any] = {
        "cores": os.cpu_count(),
        "background_load": background_load(),
        "bare_python_c_pass_ms": bare_python_ms(python, args.launches),
        "bare_python_I_S_c_pass_ms": bare_python_ms(python, args.launches, ("-I", "-S")),
        "modes": {},
    }
    for mode in args.modes:
        latency = sandbox_latency_ms(mode, args.launches)
        latency["overhead_vs_bare_python_ms"] = latency["mean_ms"] - report["bare_python_c_pass_ms"]
        report["modes"][mode] = {"latency": latency, "humaneval": humaneval_rate(mode, args.rounds)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"cores: {report['cores']}, background load before start: {report['background_load']:.0%}")
    bare, bare_is = report["bare_python_c_pass_ms"], report["bare_python_I_S_c_pass_ms"]
    print(f"bare `{python} -c pass`: {bare:.2f} ms ({bare_is:.2f} ms with -I -S)")
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


if __name__ == "__main__":
    main()
