"""The `run` subcommand of `benchmarks/e2e.py`: each job of `amd materialize` as its own process in a throwaway
lakehouse under the N's folder, measured (wall, CPU, peak PSS: benchmarks/e2e_measure.py), the rows each table
holds afterwards, and the run's `result.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from e2e_measure import JobMeasure, Step, dagster_steps, measure
from e2e_report import job_table, print_job, print_tables, stage_table

from amd_assets.contracts import catalogue

ROOT = Path(__file__).resolve().parents[1]
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
# Every Delta table of the catalogue (a view checked by a contract has no writers, no table).
TABLES = [name for name, contract in catalogue.TABLES.items() if contract.writers]


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


# --- the run ---------------------------------------------------------------------------------------------------


def run(base: Path, rows: int, from_job: str | None, judge: bool) -> dict[str, Any]:
    """Runs the jobs (all, or `from_job` and the ones after it) on the corpus in `base`; prints and keeps the result."""
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
