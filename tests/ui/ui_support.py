"""Helpers of the UI tests: the Dagster UI in a real browser, set up the way `make ui` does.

`amd instance` writes the instance's run queue and timeouts, `amd sources sync` registers the source partitions,
then `dagster dev` starts on a free port with a throwaway lakehouse and a throwaway copy of `sources.yaml` (the
tests add a source to it); the Debian chromium is driven by Playwright. Only 127.0.0.1 is ever contacted: every
other request the page makes is aborted by a Playwright route, the browser runs with its background networking
off, and Playwright never downloads a browser (it is pointed at the system chromium, which `make test` installs).
`AMD_SKIP_UI_TEST=1` skips the UI tests; nothing else does. Screenshots go to the test's tmp dir, and also to
`$AMD_UI_SCREENSHOTS` when that is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGSTER = REPO_ROOT / ".venv" / "bin" / "dagster"
AMD = REPO_ROOT / ".venv" / "bin" / "amd"
LOCATION = "amd_assets.definitions"
LOCAL_HOST = "127.0.0.1"

# The per-source pipeline, in lineage order; `release` is added once the code location defines it (every asset
# the location reports must be drawn, see `expected_graph_names`).
PIPELINE_STAGES = [
    "raw_problems",
    "normalized_problems",
    "filtered_problems",
    "decontaminated_problems",
    "problem_signatures",
    "dedup_decisions",
    "curated_problems",
    "teacher_responses",
    "response_verdicts",
    "distilled_samples",
]

# Generous for a loaded 2-core CI box (`dagster dev` imports the definitions in three processes); still well
# inside the 300 s pytest-timeout of pyproject, so a hung start fails here, with the server log, and the
# fixture's teardown still kills the process group.
STARTUP_TIMEOUT_S = 180.0
TERM_GRACE_S = 5.0
UI_TIMEOUT_MS = 45_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces next to the request route: no name but the loopback address resolves.
    f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {LOCAL_HOST}",
]

SKIP_UI = pytest.mark.skipif(
    os.environ.get("AMD_SKIP_UI_TEST") == "1", reason="AMD_SKIP_UI_TEST=1: Dagster UI browser test skipped"
)


# -- what the UI must show, read from the repo at test time --------------------------------------------------


def source_names(registry: Path) -> list[str]:
    document = yaml.safe_load(registry.read_text(encoding="utf-8"))
    return list(document["sources"])


def throwaway_registry(folder: Path) -> Path:
    """The repo's sources.yaml with absolute paths, in `folder`: a test can add a source to it."""
    document = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    for entry in document["sources"].values():
        entry["path"] = str(REPO_ROOT / entry["path"])
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def dbt_model_names() -> list[str]:
    return sorted(path.stem for path in (REPO_ROOT / "dbt_models" / "models").glob("**/*.sql"))


# -- dagster dev in its own process group ----------------------------------------------------------------------


@dataclass
class DagsterDev:
    process: subprocess.Popen
    base_url: str
    home: Path
    log: Path
    registry: Path
    env: dict[str, str]

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOCAL_HOST, 0))
        return probe.getsockname()[1]


def graphql(base_url: str, query: str, timeout: float = 10.0) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload["errors"]
    return payload["data"]


LOCATIONS_QUERY = """
{ workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace { locationEntries {
        name loadStatus
        locationOrLoadError { __typename ... on PythonError { message stack } }
    } }
} }
"""


def wait_until_loaded(dev: DagsterDev) -> None:
    """`/server_info` answers, then every code location has finished loading without an error."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if dev.process.poll() is not None:
            pytest.fail(f"dagster dev exited with {dev.process.returncode} before serving:\n{dev.log_tail()}")
        try:
            with urllib.request.urlopen(f"{dev.base_url}/server_info", timeout=5) as response:
                json.loads(response.read())
            workspace = graphql(dev.base_url, LOCATIONS_QUERY)["workspaceOrError"]
        except (OSError, urllib.error.URLError, ValueError) as error:
            last = repr(error)
            time.sleep(0.5)
            continue
        if workspace["__typename"] != "Workspace":
            pytest.fail(f"workspace failed to load: {workspace.get('message')}")
        entries = workspace["locationEntries"]
        for entry in entries:
            error = entry["locationOrLoadError"]
            if error and error["__typename"] == "PythonError":
                pytest.fail(f"code location {entry['name']!r} failed to load:\n{error['message']}\n{error['stack']}")
        if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
            return
        last = f"location entries: {[(e['name'], e['loadStatus']) for e in entries]}"
        time.sleep(0.5)
    pytest.fail(f"dagster dev not ready after {STARTUP_TIMEOUT_S:.0f} s ({last}):\n{dev.log_tail()}")


def live_processes(group: int, marker: str) -> list[str]:
    """Processes (zombies excluded) in the process group, or whose command line names the test's DAGSTER_HOME."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, pgid = fields[0], int(fields[2])
        if state != "Z" and (pgid == group or marker in cmdline):
            found.append(f"{entry.name} [{state}] {cmdline[:160]}")
    return found


def stop(dev: DagsterDev) -> None:
    """SIGTERM the whole group, SIGKILL it after a grace period (children of a `dagster dev` started without job
    control ignore SIGINT/SIGTERM, so the group is always SIGKILLed), then wait for every member to be gone."""
    group = dev.process.pid  # start_new_session: the leader's pid is the group id
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        dev.process.wait(timeout=TERM_GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    dev.process.wait(timeout=30)
    deadline = time.monotonic() + 15
    while (survivors := live_processes(group, str(dev.home))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not survivors, f"processes of the test's dagster dev survived teardown: {survivors}"


def make_ui_environment(tmp: Path) -> dict[str, str]:
    """What `make ui` sets and runs before `dagster dev`, on throwaway paths."""
    home = tmp / "dagster_home"
    home.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AMD_LAKEHOUSE": str(tmp / "lakehouse"),
        "AMD_RELEASES": str(tmp / "releases"),
        "AMD_AUDIT_DB": str(tmp / "audits.duckdb"),
        "AMD_SOURCES": str(throwaway_registry(tmp)),
        "DAGSTER_GRPC_TIMEOUT_SECONDS": "180",
        "PYTHONUNBUFFERED": "1",
    }
    for command in (["instance"], ["sources", "sync"]):
        done = subprocess.run([str(AMD), *command], env=env, capture_output=True, text=True, cwd=REPO_ROOT)
        assert done.returncode == 0, done.stderr
    return env


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname == LOCAL_HOST
