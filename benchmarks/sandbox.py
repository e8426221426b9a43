"""Benchmark of the code sandbox (not run by the test suite).

``stdio10``: code verification throughput on 10-test Python stdin/stdout samples (the paper's first-10-tests
practice), designs measured side by side in the same run, interleaved chunk by chunk (in a rotating order) so
that load from other processes falls on all of them alike:
  * ``bare``: a bare ``python3`` subprocess per test, no sandbox. It only ever runs this benchmark's own trusted
    reference programs (below); generated code never runs outside the sandbox.
  * ``per_test``: this checkout's sandbox with one forked process per test (``reuse_process=False``).
  * ``shared``: this checkout's sandbox with one shared runner process per sample (the default).
  * ``baseline`` (with ``--baseline-rev REV``): the sandbox package as it was at REV (``git archive``), run in a
    child process of the benchmark; e.g. the commit before the shared runner, to compare with the former design
    as it was, not only with its per-test path on today's infrastructure.
  * ``shared_wN`` (with ``--shared-workers N ...``): the shared runner with N workers instead of the cores, e.g.
    one more slot than cores, to fill the gaps while a sample's processes hand work to each other.
Every design runs the same samples with the same number of workers (default: the cores). The mix is correct,
wrong-answer and crashing variants of eight small contest-style programs; the report gives samples/s, the
ratios (overall, and the median and range of the per-round ratios), CPU per sample (our processes, and the whole
machine) and whether all designs agree on every verdict.

``overhead``: per-sample latency of a trivial program on one worker against a bare ``python -c pass`` (target
<= 5 ms), and HumanEval samples/s (canonical solutions, one assert test each) on a pool sized to the cores.

Both report how busy the machine was before starting (other processes steal the same cores).

    uv run python benchmarks/sandbox.py stdio10 [--rounds 6] [--chunk 60] [--workers 0] [--mode zygote]
        [--mix correct=6,wrong=3,crash=1] [--baseline-rev REV] [--shared-workers N ...]
    uv run python benchmarks/sandbox.py overhead [--humaneval-rounds 3] [--launches 200] [--modes zygote launch]
    add --json for one JSON document instead of text
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

# `resources` comes from this checkout, or, in a baseline child (``serve-baseline --root DIR``), from the older
# revision extracted in DIR: inserted before the sibling modules below import it.
sys.path.insert(
    0,
    sys.argv[sys.argv.index("--root") + 1]
    if sys.argv[1:2] == ["serve-baseline"]
    else str(Path(__file__).resolve().parents[1]),
)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from sandbox_load import background_load
from sandbox_overhead import overhead, print_overhead
from sandbox_samples import VARIANTS
from sandbox_stdio10 import print_stdio10, serve_baseline, stdio10


def _mix(text: str) -> dict[str, int]:
    weights = {name: int(weight) for name, weight in (part.split("=") for part in text.split(","))}
    if not set(weights) <= set(VARIANTS) or not any(weights.values()):
        raise argparse.ArgumentTypeError(f"mix names variants {VARIANTS} with integer weights, e.g. correct=6,wrong=3")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="stdio10", choices=["stdio10", "overhead", "all", "serve-baseline"])
    parser.add_argument("--baseline-rev", help="stdio10: also measure the sandbox of this git revision")
    parser.add_argument("--root", help=argparse.SUPPRESS)  # serve-baseline: the extracted revision
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)  # serve-baseline: samples generated
    parser.add_argument("--rounds", type=int, default=6, help="stdio10: interleaved rounds")
    parser.add_argument("--chunk", type=int, default=60, help="stdio10: samples per design per round")
    parser.add_argument("--workers", type=int, default=0, help="stdio10: workers per design (0 = cores)")
    parser.add_argument("--shared-workers", type=int, nargs="*", default=[], help="stdio10: also these counts")
    parser.add_argument("--mode", default="zygote", choices=["zygote", "launch"], help="stdio10: sandbox mode")
    parser.add_argument("--mix", type=_mix, default=_mix("correct=6,wrong=3,crash=1"), help="stdio10: variants")
    parser.add_argument("--humaneval-rounds", type=int, default=3, help="overhead: HumanEval passes (164 each)")
    parser.add_argument("--launches", type=int, default=200, help="overhead: sequential trivial samples")
    parser.add_argument("--modes", nargs="+", default=["zygote", "launch"], choices=["zygote", "launch"])
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    args = parser.parse_args()
    if args.what == "serve-baseline":
        serve_baseline(args.count, args.mix, args.workers, args.mode)
        return

    report: dict[str, Any] = {"cores": os.cpu_count(), "background_load": background_load()}
    if args.what in ("stdio10", "all"):
        report["stdio10"] = stdio10(
            args.rounds, args.chunk, args.workers, args.mode, args.mix, args.baseline_rev, args.shared_workers
        )
    if args.what in ("overhead", "all"):
        report["overhead"] = overhead(args.launches, args.humaneval_rounds, args.modes)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"cores: {report['cores']}, background load before start: {report['background_load']:.0%}")
    if "stdio10" in report:
        print_stdio10(report["stdio10"])
    if "overhead" in report:
        print_overhead(report["overhead"])


if __name__ == "__main__":
    main()
