"""Verification throughput (issue 6). Not part of the test suite.

    uv run --frozen python benchmarks/verify.py math [--pairs 10000] [--workers 2] [--seed 6]
    uv run --frozen python benchmarks/verify.py mixed [--responses 10000]

`math`: the same (response, reference) pairs, built from the MATH sample (data/samples/math), are verified
  1. bare: single process, plain math-verify per pair (our answer extraction, then `parse(reference)`,
     `parse(answer)`, `verify` with math-verify's default timeouts; no reference cache, no fast paths);
  2. pool: `MathVerifierPool` with N workers, fast paths on, reference parsed once per problem per worker,
     with its verdict memo (default) and without it (the exact numeric path alone).
It prints verdicts/s, the speed-up over bare, the share of each path and the verdict agreement rate (must be 100%).
Pool start-up (worker imports + parser warm-up) is reported separately and excluded from verdicts/s.

Pair mix (reference = last \\boxed{} of the sample solution): the full solution (correct), the same answer
reformatted (0.5 / \\frac{1}{2} / 1/2 / \\dfrac, 3 / 3.0, spacing, \\dfrac vs \\frac), a wrong answer (another
problem's answer, or a numeric answer off by one), and a few responses without any answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
# The math side is imported up front, as before the split: `start-methods` forks this process, so what it has
# imported is part of what the forked children measure.
from verify_math import bench_math, report_math
from verify_mixed import bench_mixed
from verify_start_methods import bench_start_methods


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    math_cmd = sub.add_parser("math", help="math verdicts/s: pool vs bare math-verify")
    math_cmd.add_argument("--pairs", type=int, default=10_000)
    math_cmd.add_argument("--workers", type=int, default=2)
    math_cmd.add_argument("--seed", type=int, default=6)
    math_cmd.add_argument("--symbolic-share", type=float, default=0.35, help="problems with generated symbolic answers")
    start_cmd = sub.add_parser("start-methods", help="CPU per math-verify item by how the worker was started")
    start_cmd.add_argument("--items", type=int, default=300)
    start_cmd.add_argument("--rounds", type=int, default=3)
    start_cmd.add_argument("--seed", type=int, default=12)
    rules_cmd = sub.add_parser("rules", help="responses/s of the rule checks, former (lingua) and current")
    rules_cmd.add_argument("--responses", type=int, default=10_000)
    rules_cmd.add_argument("--seed", type=int, default=6)
    languages_cmd = sub.add_parser("languages", help="language detectors on real text: accuracy, CPU, rule decisions")
    languages_cmd.add_argument("--per-language", type=int, default=120)
    languages_cmd.add_argument("--seed", type=int, default=6)
    stage_cmd = sub.add_parser("stage", help="response_verdicts on a generated general source (rules only)")
    stage_cmd.add_argument("--problems", type=int, default=20_000)
    stage_cmd.add_argument("--seed", type=int, default=6)
    stage_cmd.add_argument("--profile", help="write a cProfile of the run to this path")
    mixed_cmd = sub.add_parser("mixed", help="time to verify mixed responses (rules + math pool + sandbox)")
    mixed_cmd.add_argument("--responses", type=int, default=10_000)
    mixed_cmd.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.command in ("rules", "languages"):
        from verify_rules import bench_languages, bench_rules

        if args.command == "rules":
            figures = bench_rules(args.responses, args.seed)
        else:
            figures = bench_languages(args.per_language, args.seed)
        print(json.dumps(figures, indent=2))
        return 0
    if args.command == "stage":
        from verify_stage import bench_stage

        print(json.dumps(bench_stage(args.problems, args.seed, args.profile), indent=2))
        return 0
    if args.command == "start-methods":
        print(json.dumps(bench_start_methods(args.items, args.seed, args.rounds), indent=2))
        return 0
    if args.command == "mixed":
        print(json.dumps(bench_mixed(args.responses, args.seed), indent=2))
        return 0

    figures = bench_math(args.pairs, args.workers, args.seed, args.symbolic_share)
    print(json.dumps(figures, indent=2))
    return 0 if report_math(figures, args.workers) else 1


if __name__ == "__main__":
    sys.exit(main())
