"""The figures of `benchmarks/e2e.py`: the per-job and per-stage tables of a run, their extrapolation to 1.4M
problems, and the `report` subcommand that compares the `result.json` of every measured N.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from e2e_measure import GIB, JobMeasure, Step, window

TARGET_ROWS = 1_400_000
# Stage (asset) -> (table count its rows come from, table count it writes): see `table_counts` in e2e_run.py.
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


# --- report ----------------------------------------------------------------------------------------------------


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares a + b * n."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
    return mean_y - slope * mean_x, slope


def report(out: Path) -> None:
    """Every `n*/result.json` under `out`, per job, and the fit of wall and memory at 1.4M."""
    results = sorted((json.loads(p.read_text()) for p in out.glob("n*/result.json")), key=lambda result: result["rows"])
    if not results:
        raise SystemExit(f"no result.json under {out}: run `e2e.py all --rows N` first")
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
