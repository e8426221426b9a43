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
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import e2e_corpus  # noqa: E402
from e2e_measure import GIB, JobMeasure, Step, dagster_steps, measure, window  # noqa: E402

from amd_assets.contracts import catalogue  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "e2e"
TARGET_ROWS = 1_400_000
AMD = str(Path(sys.executable).parent / "amd")
JOBS = (
    "prepare_sources",
    "deduplicate",
    "curate_sources",
    "generate_responses",
    "verify_responses",
    "release_dataset",
    "audit",
)
# Stage (asset) -> (table count its rows come from, table count it writes): see `stage_rows`.
STAGE_ROWS = {
    "raw_problems": ("corpus", "raw_problems"),
    "normalized_problems": ("raw_problems", "normalized_problems"),
    "filtered_problems": ("normalized_problems", "filtered_problems"),
    "decontaminated_problems": ("filtered_problems", "decontaminated_problems"),
    "problem_signatures": ("decontaminated_problems", "problem_signatures"),
    "problem_embeddings": ("decontaminated_problems", "problem_embeddings"),
    "dedup_decisions": ("dedup_decisions", "dedup_kept"),
    "semantic_dedup_decisions": ("semantic_dedup_decisions", "semantic_kept"),
    "curated_problems": ("semantic_kept", "curated_problems"),
    "teacher_responses": ("curated_problems", "teacher_responses"),
    "response_verdicts": ("curated_problems", "response_verdicts"),
    "distilled_samples": ("curated_problems", "distilled_samples"),
    "release": ("distilled_samples", "release_rows"),
}
# Every Delta table of the catalogue (a view checked by a contract has no writers, no table).
TABLES = [name for name, contract in catalogue.TABLES.items() if contract.writers]


def folder(rows: int) -> Path:
    return OUT / f"n{rows}"


# --- the run ---------------------------------------------------------------------------------------------------


def locations(base: Path) -> dict[str, Path]:
    run = base / "run"
    return {
        "lakehouse": run / "lakehouse",
        "releases": run / "releases",
        "audit_db": run / "audits.duckdb",
        "home": run / "dagster_home",
        "logs": run / "logs",
    }


def job_command(base: Path, job: str) -> list[str]:
    where = locations(base)
    flags = ["--lakehouse", str(where["lakehouse"]), "--releases", str(where["releases"])]
    flags += ["--sources", str(base / "sources.yaml"), "--benchmarks", str(base / "benchmarks.yaml")]
    flags += ["--audit-db", str(where["audit_db"])]
    return [AMD, *flags, "materialize", "--job", job]


def job_environment(base: Path, judge_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AMD_", "DAGSTER_"))}
    env.update(DAGSTER_HOME=str(locations(base)["home"]), AMD_TEACHER_BACKEND="none", AMD_JUDGE_BASE_URL=judge_url)
    return env


class Judge:
    """The stand-in judge (benchmarks/e2e_judge.py) in its own process, for `--judge`."""

    def __init__(self) -> None:
        script = str(ROOT / "benchmarks" / "e2e_judge.py")
        self.process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.process.stdout.readline().strip()}/v1"  # type: ignore[union-attr]

    def stop(self) -> float:
        """Stops the server; its CPU seconds."""
        self.process.terminate()
        _, _, usage = os.wait4(self.process.pid, 0)
        self.process.returncode = -15
        return usage.ru_utime + usage.ru_stime


def fresh_run(base: Path) -> None:
    shutil.rmtree(base / "run", ignore_errors=True)
    for name in ("home", "logs"):
        locations(base)[name].mkdir(parents=True)


def run_jobs(base: Path, jobs: tuple[str, ...], judge_url: str) -> list[tuple[JobMeasure, list[Step]]]:
    where = locations(base)
    where["logs"].mkdir(parents=True, exist_ok=True)
    measured = []
    for job in jobs:
        since = time.time()
        result = measure(job_command(base, job), job_environment(base, judge_url), where["logs"] / f"{job}.log")
        steps = dagster_steps(where["home"], job, since)
        measured.append((result, steps))
        print_job(result, steps)
        if result.returncode != 0:
            print(f"{job} exited {result.returncode}: see {result.log}", flush=True)
            break
    return measured


# --- rows ------------------------------------------------------------------------------------------------------


def table_counts(lakehouse: Path, corpus_rows: int) -> dict[str, int]:
    import pyarrow.compute as pc
    from deltalake import DeltaTable

    counts = {"corpus": corpus_rows}
    for table in TABLES:
        path = lakehouse / table
        if not DeltaTable.is_deltatable(str(path)):
            counts[table] = 0
            continue
        dataset = DeltaTable(str(path)).to_pyarrow_dataset()
        counts[table] = dataset.count_rows()
        if table in ("dedup_decisions", "semantic_dedup_decisions"):
            key = "dedup_kept" if table == "dedup_decisions" else "semantic_kept"
            counts[key] = dataset.count_rows(filter=pc.field("is_kept"))
    counts.setdefault("semantic_kept", counts.get("dedup_kept", 0))
    return counts


# --- tables ----------------------------------------------------------------------------------------------------


def gib(value: float) -> str:
    return f"{value / GIB:.2f}"


def load(value: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in value)


def print_job(result: JobMeasure, steps: list[Step]) -> None:
    print(
        f"{result.job:<20} exit {result.returncode}  wall {result.wall_s:8.1f} s  CPU {result.cpu_s:8.1f} s  "
        f"peak PSS {gib(result.peak_memory)} GiB  largest process {gib(result.max_rss)} GiB  "
        f"load {load(result.load_before)} -> {load(result.load_after)}  ({len(steps)} steps)",
        flush=True,
    )


def stage_table(measured: list[tuple[JobMeasure, list[Step]]], counts: dict[str, int]) -> list[dict[str, Any]]:
    """One row per stage (step key, summed over partitions): rows, wall, CPU, peak memory."""
    stages: dict[str, dict[str, Any]] = {}
    for result, steps in measured:
        for step in steps:
            row = stages.setdefault(
                step.asset, {"stage": step.asset, "job": result.job, "wall_s": 0.0, "cpu_s": 0.0, "peak": 0, "runs": 0}
            )
            cpu, peak = window(result.samples, step.start, step.end)
            row["wall_s"] += step.end - step.start
            row["cpu_s"] += cpu
            row["peak"] = max(row["peak"], peak)
            row["runs"] += 1
    for row in stages.values():
        source, target = STAGE_ROWS.get(row["stage"], (None, None))
        row["rows_in"] = counts.get(source) if source else None
        row["rows_out"] = counts.get(target) if target else None
    return list(stages.values())


def job_table(measured: list[tuple[JobMeasure, list[Step]]], rows: int) -> list[dict[str, Any]]:
    table = []
    for result, steps in measured:
        steps_wall = sum(step.end - step.start for step in steps)
        overhead = max(0.0, result.wall_s - steps_wall)
        scale = TARGET_ROWS / rows
        table.append(
            {
                "job": result.job,
                "exit": result.returncode,
                "wall_s": result.wall_s,
                "cpu_s": result.cpu_s,
                "steps_wall_s": steps_wall,
                "overhead_s": overhead,
                "peak_pss": result.peak_memory,
                "max_rss": result.max_rss,
                "load_before": result.load_before,
                "load_after": result.load_after,
                "wall_1_4m_s": overhead + steps_wall * scale,
                "cpu_1_4m_s": result.cpu_s * scale,
            }
        )
    return table


def print_tables(rows: int, jobs: list[dict[str, Any]], stages: list[dict[str, Any]]) -> None:
    print(f"\nN = {rows:,} problems; extrapolated to {TARGET_ROWS:,} (x{TARGET_ROWS / rows:.1f})")
    print(f"\n{'stage':<34}{'rows in':>10}{'rows out':>10}{'wall s':>9}{'CPU s':>9}{'rows/s':>9}{'peak GiB':>9}")
    for row in stages:
        rate = f"{row['rows_in'] / row['wall_s']:,.0f}" if row["rows_in"] and row["wall_s"] > 0 else "-"
        rows_in = f"{row['rows_in']:,}" if row["rows_in"] is not None else "-"
        rows_out = f"{row['rows_out']:,}" if row["rows_out"] is not None else "-"
        print(
            f"{row['stage'][:33]:<34}{rows_in:>10}{rows_out:>10}{row['wall_s']:>9.1f}{row['cpu_s']:>9.1f}{rate:>9}"
            f"{gib(row['peak']):>9}"
        )
    header = f"{'job':<20}{'wall s':>9}{'CPU s':>9}{'overhd s':>9}{'PSS GiB':>9}{'maxRSS':>8}"
    print(f"\n{header}{'load before -> after':>30}{'1.4M wall s':>13}{'1.4M CPU s':>12}")
    for job in jobs:
        print(
            f"{job['job']:<20}{job['wall_s']:>9.1f}{job['cpu_s']:>9.1f}{job['overhead_s']:>9.1f}"
            f"{gib(job['peak_pss']):>9}{gib(job['max_rss']):>8}"
            f"{load(job['load_before']) + ' -> ' + load(job['load_after']):>30}"
            f"{job['wall_1_4m_s']:>13.0f}{job['cpu_1_4m_s']:>12.0f}"
        )
    wall = sum(job["wall_s"] for job in jobs)
    projected = sum(job["wall_1_4m_s"] for job in jobs)
    peak = max((job["peak_pss"] for job in jobs), default=0)
    print(
        f"{'total':<20}{wall:>9.1f}{sum(j['cpu_s'] for j in jobs):>9.1f}{'':>9}{gib(peak):>9}{'':>8}{'':>30}"
        f"{projected:>13.0f}{sum(j['cpu_1_4m_s'] for j in jobs):>12.0f}"
    )
    print(f"\nextrapolated 1.4M wall: {projected / 3600:.2f} h (goal 2 h); measured wall {wall / 60:.1f} min")


def run(rows: int, from_job: str | None, judge: bool) -> dict[str, Any]:
    base = folder(rows)
    meta = json.loads((base / "corpus.json").read_text())
    jobs = JOBS[JOBS.index(from_job) :] if from_job else JOBS
    if not from_job:
        fresh_run(base)
    started = time.time()
    server = Judge() if judge else None
    try:
        measured = run_jobs(base, jobs, server.url if server else "")
    finally:
        judge_cpu = server.stop() if server else None
    counts = table_counts(locations(base)["lakehouse"], sum(meta["sizes"].values()))
    stages = stage_table(measured, counts)
    job_rows = job_table(measured, rows)
    print_tables(rows, job_rows, stages)
    if judge_cpu is not None:
        print(f"stand-in judge server CPU (not in the jobs' figures): {judge_cpu:.1f} s")
    result = {
        "rows": rows,
        "judge": judge,
        "judge_server_cpu_s": judge_cpu,
        "corpus": meta,
        "started": started,
        "cpus": os.cpu_count(),
        "jobs": job_rows,
        "stages": stages,
        "counts": counts,
        "lakehouse_bytes": du(locations(base)["lakehouse"]),
        "verdicts": verdict_summary(locations(base)["lakehouse"]),
        "samples": {r.job: [asdict(s) for s in r.samples] for r, _ in measured},
    }
    print(f"lakehouse {result['lakehouse_bytes'] / 1e9:.2f} GB; rows per table: {json.dumps(counts)}")
    print("verdicts (verifier, verdict, rows, verifier seconds):")
    for line in result["verdicts"]:
        print(f"  {line}")
    name = "result.json" if not from_job else f"result-from-{from_job}.json"
    name = name.replace(".json", "-judge.json") if judge else name
    (base / name).write_text(json.dumps(result, indent=1, default=list))
    return result


def verdict_summary(lakehouse: Path) -> list[list[Any]]:
    import duckdb
    from deltalake import DeltaTable

    path = lakehouse / "response_verdicts"
    if not DeltaTable.is_deltatable(str(path)):
        return []
    with duckdb.connect() as connection:
        connection.register("v", DeltaTable(str(path)).to_pyarrow_dataset())
        query = "SELECT verifier, verdict, count(*), round(sum(duration_s), 1) FROM v GROUP BY ALL ORDER BY ALL"
        return [list(row) for row in connection.sql(query).fetchall()]


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- report ----------------------------------------------------------------------------------------------------


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares a + b * n."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


def report() -> None:
    results = sorted((json.loads(p.read_text()) for p in OUT.glob("n*/result.json")), key=lambda result: result["rows"])
    if not results:
        raise SystemExit(f"no result.json under {OUT}: run `e2e.py all --rows N` first")
    by_job: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for result in results:
        print(f"N={result['rows']:,}: wall {sum(j['wall_s'] for j in result['jobs']) / 60:.1f} min")
        for job in result["jobs"]:
            by_job[job["job"]].append((result["rows"], job))
    print(f"\n{'job':<20}" + "".join(f"{'N=' + format(r['rows'], ','):>22}" for r in results) + f"{'fit at 1.4M':>26}")
    total_wall = 0.0
    for job, points in by_job.items():
        cells = "".join(f"{j['wall_s']:>9.0f} s {gib(j['peak_pss']):>6} GiB " for _, j in points)
        if len(points) >= 2:
            a, b = fit([(n, j["wall_s"]) for n, j in points])
            ma, mb = fit([(n, j["peak_pss"]) for n, j in points])
            wall, memory = a + b * TARGET_ROWS, ma + mb * TARGET_ROWS
        else:
            wall, memory = points[0][1]["wall_1_4m_s"], float("nan")
        total_wall += wall
        print(f"{job:<20}{cells}{wall:>12.0f} s {memory / GIB:>7.2f} GiB")
    print(f"\ntotal extrapolated wall at 1.4M: {total_wall / 3600:.2f} h (goal 2 h; memory goal 8 GiB per stage)")


# --- command line ----------------------------------------------------------------------------------------------


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
        run(args.rows, args.from_job, args.judge)
    if args.step == "report":
        report()
    return 0


if __name__ == "__main__":
    sys.exit(main())
