"""The whole pipeline on a generated corpus in the AM-1.4M mix, measured per job and per stage, extrapolated to
1.4M problems. Not part of the test suite.

    uv run --frozen python benchmarks/e2e.py all --rows 100000      # generate, then run (benchmarks/out/e2e/n100000)
    uv run --frozen python benchmarks/e2e.py generate --rows 100000 [--seed 0] [--think-chars 2000]
    uv run --frozen python benchmarks/e2e.py run --rows 100000 [--from-job release_dataset]
    uv run --frozen python benchmarks/e2e.py report                  # every measured N, and the fit across them
    nohup uv run --frozen python benchmarks/e2e.py all --rows 1400000 > benchmarks/out/e2e/n1400000.log 2>&1 &

`generate` writes the corpus (benchmarks/e2e_corpus.py: 29% math, 24% code, 47% general, R1-style traces, 5%
near-duplicates, benchmark copies) as seven sources and their sources.yaml / benchmarks.yaml.

`run` starts from an empty lakehouse, releases folder, audit database and Dagster instance under the N's folder
and runs each job of `amd materialize` (prepare_sources, deduplicate, curate_sources, generate_responses,
verify_responses, release_dataset, audit) as its own `amd materialize --job J` process, in that order: the real
command, the real jobs. No teacher is configured (every problem carries a trace). No judge either, as in the
issue's baseline: general problems get the rule checks but stay pending, so the release holds math and code;
`--judge` starts a stand-in judge on 127.0.0.1 (benchmarks/e2e_judge.py) so general problems are judged and
released too (its server CPU is reported apart: in production it is a GPU server elsewhere).

Per job it prints wall and CPU seconds, the peak memory of its process tree (PSS sum,
sampled every 0.5 s) and the largest single process (ru_maxrss), with the load average before and after; per
stage (a Dagster step, summed over the sources) rows in / out, wall, CPU, rows/s and peak memory
(benchmarks/e2e_measure.py). `--from-job J` keeps the lakehouse and runs J and the jobs after it.

Extrapolation to 1.4M problems: a stage's wall and CPU scale with its rows (linear: the per-row work is
per-row, and the only superlinear part, the ANN index of semantic dedup, is O(N log N)); a job's overhead
(process start, code location, one run per source) does not. Memory: `report` fits memory = a + b * N per job
over the measured sizes (two or more); a single size is reported as measured. Results are kept as
`result.json` per N, so `report` compares them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import e2e_corpus  # noqa: E402
from e2e_report import report  # noqa: E402
from e2e_run import JOBS, du, run  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "e2e"


def folder(rows: int) -> Path:
    return OUT / f"n{rows}"


def generate(rows: int, seed: int, think_chars: int, hang_share: float) -> None:
    base = folder(rows)
    shutil.rmtree(base / "corpus", ignore_errors=True)
    started = time.perf_counter()
    sizes = e2e_corpus.generate(base, rows, seed, think_chars, hang_share)
    meta = {"rows": rows, "seed": seed, "think_chars": think_chars, "hang_share": hang_share, "sizes": sizes}
    (base / "corpus.json").write_text(json.dumps(meta, indent=1))
    size = du(base / "corpus")
    print(f"corpus of {rows:,} problems in {time.perf_counter() - started:.0f} s: {size / 1e9:.2f} GB in {base}")
    print(json.dumps(sizes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["generate", "run", "all", "report"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--think-chars", type=int, default=2000, help="reasoning characters per trace")
    parser.add_argument("--hang-share", type=float, default=e2e_corpus.HANG_SHARE, help="code traces that hang")
    parser.add_argument("--from-job", choices=JOBS, help="keep the lakehouse; run this job and the ones after")
    parser.add_argument("--judge", action="store_true", help="a stand-in judge on 127.0.0.1 (general accepted)")
    args = parser.parse_args(argv)
    if args.step in ("generate", "all"):
        generate(args.rows, args.seed, args.think_chars, args.hang_share)
    if args.step in ("run", "all"):
        run(folder(args.rows), args.rows, args.from_job, args.judge)
    if args.step == "report":
        report(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
