"""SIGKILL a materialization mid-way, re-run it, and count from the server's log what was paid for twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from generation_support import SOURCE, make_teacher, problem, write_curated

from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.registry import REPO_ROOT

pytest_plugins = ["generation_fixtures"]

PROBLEMS = 200
CHECKPOINT_EVERY = 8
CONCURRENCY = 4


def response_key(request_id: str | None) -> str:
    assert request_id, "every request carries its response id"
    return request_id.rsplit("-", 1)[0]  # "<response_id>-<attempt>"


def test_a_killed_run_resumes_paying_at_most_one_checkpoint_twice(server, lakehouse, run_generation, tmp_path: Path):
    write_curated(lakehouse, [problem(i) for i in range(PROBLEMS)])
    server.state.latency = 0.05  # ~80 responses/s at 4 in flight: the kill lands mid-way
    log_file = (tmp_path / "runner.log").open("w")
    runner = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("crash_runner.py")),
            lakehouse.root,
            server.url,
            SOURCE,
            str(CHECKPOINT_EVERY),
            str(CONCURRENCY),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while len(server.log) < 60 and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(runner.pid, signal.SIGKILL)
    assert runner.wait(timeout=10) == -signal.SIGKILL, (tmp_path / "runner.log").read_text()[-3000:]
    time.sleep(0.2)  # answers the server was still sleeping on are logged already; let the loop settle

    first_run = list(server.log)
    requested_before = {response_key(entry.request_id) for entry in first_run}
    committed = {
        row["response_id"] for row in lakehouse.read(TEACHER_RESPONSES.name, columns=["response_id"]).to_pylist()
    }
    assert 0 < len(committed) < PROBLEMS, "the kill must land mid-way"
    assert committed <= requested_before
    lost = requested_before - committed  # paid for, never committed
    assert len(lost) <= CHECKPOINT_EVERY

    server.state.latency = 0.0  # the re-run may go fast
    result = run_generation(make_teacher(server, max_concurrency=CONCURRENCY), checkpoint_every=CHECKPOINT_EVERY)
    assert result.success

    rerun_keys = [response_key(entry.request_id) for entry in server.log[len(first_run) :]]
    stored = lakehouse.read(TEACHER_RESPONSES.name, columns=["response_id", "status"]).to_pylist()
    everything = {row["response_id"] for row in stored}
    assert len(stored) == len(everything) == PROBLEMS and {row["status"] for row in stored} == {"ok"}
    # the re-run asked once for each missing response and for nothing committed
    assert len(rerun_keys) == len(set(rerun_keys)) == PROBLEMS - len(committed)
    assert set(rerun_keys) == everything - committed
    paid_twice = set(rerun_keys) & requested_before
    assert paid_twice == lost and len(paid_twice) <= CHECKPOINT_EVERY
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed
