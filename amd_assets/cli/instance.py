"""The Dagster instance `make ui`, `make demo` and `amd materialize` share, and the settings it runs with.

`$DAGSTER_HOME/dagster.yaml` is written once (`amd instance` rewrites it) with what this machine needs:
- a run queue of `max_concurrent_runs` runs (default: the machine's cores, `AMD_MAX_CONCURRENT_RUNS` overrides),
  dequeued every second (in threads, so several runs start side by side) and a launched run starts at once;
- at most one run per source at a time (`dagster/partition` is the source of every per-source run), so two
  `generate_responses` runs of one source never pay the teacher twice, and no stage rewrites a source another
  stage of the same source is reading; runs of different sources, and the global runs, go side by side;
- code-server start-up and reload timeouts sized for a loaded 2-core machine (the gRPC request timeout is the
  `DAGSTER_GRPC_TIMEOUT_SECONDS` variable, which `make ui` exports);
- no telemetry (the platform never sends traffic anywhere it was not told to) and no community sign-up prompt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from amd_assets.registry.load import REPO_ROOT

DEFAULT_HOME = REPO_ROOT / ".dagster"
HEADER = "# Written by `amd instance` (make ui / make demo); `amd instance --force` rewrites it.\n"
# What `make ui` wrote before the run queue was configured: replaced without asking.
LEGACY = "telemetry:\n  enabled: false\n"
CODE_SERVER_TIMEOUT_S = 300


def max_concurrent_runs() -> int:
    return int(os.environ.get("AMD_MAX_CONCURRENT_RUNS") or os.cpu_count() or 1)


def instance_settings(concurrent_runs: int | None = None) -> dict[str, Any]:
    return {
        "telemetry": {"enabled": False},
        # No "Join the Dagster community" prompt: a modal that covers the UI on a fresh instance.
        "nux": {"enabled": False},
        "run_queue": {
            "max_concurrent_runs": concurrent_runs or max_concurrent_runs(),
            "dequeue_interval_seconds": 1,
            # Launch the dequeued runs side by side: a launch waits for the run worker to start (seconds).
            "dequeue_use_threads": True,
            "tag_concurrency_limits": [
                {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
            ],
        },
        "code_servers": {"local_startup_timeout": CODE_SERVER_TIMEOUT_S, "reload_timeout": CODE_SERVER_TIMEOUT_S},
    }


def dagster_home() -> Path:
    """$DAGSTER_HOME, else `.dagster` in the repo (what the Makefile uses), set for this process."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(DEFAULT_HOME)))
    home.mkdir(parents=True, exist_ok=True)
    return home


def write_instance_config(home: Path, force: bool = False, concurrent_runs: int | None = None) -> Path:
    """`home/dagster.yaml` with `instance_settings`, unless a user's own file is there (and `force` is off)."""
    path = home / "dagster.yaml"
    if path.exists() and not force and path.read_text() != LEGACY:
        return path
    path.write_text(HEADER + yaml.safe_dump(instance_settings(concurrent_runs), sort_keys=False))
    return path


def instance() -> Any:
    """The shared Dagster instance, its config written first when missing."""
    from dagster import DagsterInstance

    write_instance_config(dagster_home())
    return DagsterInstance.get()
