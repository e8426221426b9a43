"""The Dagster UI in a real browser: `dagster dev` on a free port, the Debian chromium driven by Playwright.

What a user sees on a fresh instance: the global asset lineage shows every pipeline stage and every dbt audit
model, and a partitioned asset lists one partition per entry of `sources.yaml`.

Only 127.0.0.1 is ever contacted: every other request the page makes is aborted by a Playwright route, the
browser runs with its background networking off, and Playwright never downloads a browser (it is pointed at
the system chromium, which `make test` installs). `AMD_SKIP_UI_TEST=1` skips this module; nothing else does.
Screenshots go to the test's tmp dir, and also to `$AMD_UI_SCREENSHOTS` when that is set.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGSTER = REPO_ROOT / ".venv" / "bin" / "dagster"
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
PARTITIONED_ASSET = "raw_problems"

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

pytestmark = pytest.mark.skipif(
    os.environ.get("AMD_SKIP_UI_TEST") == "1", reason="AMD_SKIP_UI_TEST=1: Dagster UI browser test skipped"
)


# -- what the UI must show, read from the repo at test time --------------------------------------------------


def source_names() -> list[str]:
    document = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text(encoding="utf-8"))
    return list(document["sources"])


def dbt_model_names() -> list[str]:
    return sorted(path.stem for path in (REPO_ROOT / "dbt_models" / "models").glob("**/*.sql"))


# -- dagster dev in its own process group ----------------------------------------------------------------------


@dataclass
class DagsterDev:
    process: subprocess.Popen
    base_url: str
    home: Path
    log: Path

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


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory) -> Iterator[DagsterDev]:
    assert DAGSTER.exists(), f"{DAGSTER} missing: run `make bootstrap` (uv sync) first"
    tmp = tmp_path_factory.mktemp("dagster_ui")
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    lakehouse = tmp / "lakehouse"
    lakehouse.mkdir()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "AMD_LAKEHOUSE": str(lakehouse),
        "AMD_SOURCES": str(REPO_ROOT / "sources.yaml"),
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    log = tmp / "dagster_dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(DAGSTER), "dev", "-h", LOCAL_HOST, "-p", str(port), "-w", "workspace.yaml"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    dev = DagsterDev(process=process, base_url=f"http://{LOCAL_HOST}:{port}", home=home, log=log)
    try:
        started = time.monotonic()
        wait_until_loaded(dev)
        print(f"dagster dev ready in {time.monotonic() - started:.1f} s on {dev.base_url}")
        yield dev
    finally:
        stop(dev)


# -- the browser ------------------------------------------------------------------------------------------------


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in ("http", "https", "ws", "wss") or parts.hostname == LOCAL_HOST


@pytest.fixture(scope="module", autouse=True)
def chromium() -> str:
    """The system chromium, checked before `dagster dev` starts: missing is a failure, never a silent skip."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it (Makefile bootstrap, as root) or run "
            "'sudo apt-get install -y chromium'; set AMD_SKIP_UI_TEST=1 to skip the UI test deliberately"
        )
    return path


@pytest.fixture(scope="module")
def browser_page(chromium: str, dagster_dev: DagsterDev):
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def guard(route) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def close_socket(ws) -> None:
        blocked.append(ws.url)
        ws.close()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1200}, service_workers="block")
        context.route("**/*", guard)
        context.route_web_socket(lambda url: not is_local(url), close_socket)
        context.set_default_timeout(UI_TIMEOUT_MS)
        page = context.new_page()
        # A fresh instance greets the first visit with "Join the Dagster community": Skip it whenever it shows.
        page.add_locator_handler(
            page.get_by_text("Join the Dagster community"),
            lambda: page.get_by_role("button", name="Skip").click(),
        )
        try:
            yield page
        finally:
            context.close()
            browser.close()
    print(f"requests to other hosts blocked: {sorted(set(blocked))}")


@pytest.fixture
def screenshot(browser_page, tmp_path):
    def take(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        browser_page.screenshot(path=str(path), full_page=True)
        extra = os.environ.get("AMD_UI_SCREENSHOTS")
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    return take


# -- the tests ----------------------------------------------------------------------------------------------------

ASSET_LABEL = 'svg foreignObject [class*="AssetNode_assetName"]'
COLLAPSED_GROUP = 'svg foreignObject [class*="CollapsedGroupNode_collapsedGroupNodeContainer"]'


def graph_labels(page) -> set[str]:
    """Names drawn on the lineage graph. A zoomed-out node middle-truncates its name (`decontam…_problems`): the
    full name is read from the tooltip the node shows on hover."""
    names = set()
    labels = page.locator(ASSET_LABEL)
    for index in range(labels.count()):
        label = labels.nth(index)
        text = label.inner_text().strip()
        if "…" in text:
            text = full_name_from_tooltip(page, label, text)
        names.add(text)
    return names


def full_name_from_tooltip(page, label, truncated: str) -> str:
    prefix, suffix = truncated.split("…", 1)
    try:
        label.hover(timeout=10_000)
    except Exception:  # e.g. drawn outside the viewport: reported under the truncated name
        return truncated
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for tooltip in page.get_by_role("tooltip").all_inner_texts():
            for line in tooltip.splitlines():
                line = line.strip()
                if len(line) > len(truncated) - 1 and line.startswith(prefix) and line.endswith(suffix):
                    return line
        page.wait_for_timeout(100)
    return truncated  # reported as drawn under its truncated name: the assertion message shows it


def expand_all_groups(page) -> None:
    """Groups are drawn collapsed when there are several: ⌥E (the graph's 'Expand all groups') opens them."""
    page.locator(f"{ASSET_LABEL}, {COLLAPSED_GROUP}").first.wait_for(state="visible")
    for _ in range(3):
        if page.locator(ASSET_LABEL).count() > 0 and page.locator(COLLAPSED_GROUP).count() == 0:
            return
        if page.locator(ASSET_LABEL).count() == 0:  # the shortcut toggles: press it only while all are collapsed
            page.keyboard.press("Alt+KeyE")
        try:
            page.locator(ASSET_LABEL).first.wait_for(state="visible", timeout=5_000)
        except Exception:
            continue
    page.locator(ASSET_LABEL).first.wait_for(state="visible")


def expected_graph_names(dagster_dev: DagsterDev) -> tuple[set[str], set[str]]:
    """(pipeline stages and every asset the location defines, e.g. `release` once it exists; dbt models)."""
    nodes = graphql(dagster_dev.base_url, "{ assetNodes { assetKey { path } } }")["assetNodes"]
    defined = {node["assetKey"]["path"][-1] for node in nodes}
    return set(PIPELINE_STAGES) | defined, set(dbt_model_names())


def test_global_lineage_shows_pipeline_stages_and_dbt_models(dagster_dev, browser_page, screenshot):
    page = browser_page
    page.goto(f"{dagster_dev.base_url}/asset-groups")
    page.get_by_text("Global asset lineage").first.wait_for(state="visible")
    expand_all_groups(page)
    page.wait_for_load_state("networkidle")
    shot = screenshot("global_asset_lineage")

    drawn = graph_labels(page)
    stages, models = expected_graph_names(dagster_dev)
    assert models, "no dbt model found under dbt_models/models"
    missing_stages = sorted(stages - drawn)
    assert not missing_stages, f"lineage graph lacks pipeline stages {missing_stages}; drawn: {sorted(drawn)} ({shot})"
    missing_models = sorted(models - drawn)
    assert not missing_models, (
        f"lineage graph lacks dbt models {missing_models} (from dbt_models/models/**/*.sql); "
        f"drawn: {sorted(drawn)} ({shot})"
    )


def test_partitions_page_lists_every_registered_source(dagster_dev, browser_page, screenshot):
    page = browser_page
    page.goto(f"{dagster_dev.base_url}/assets/{PARTITIONED_ASSET}?view=partitions")
    rows = page.locator('[class*="VirtualizedTable_row"] [data-tooltip]')
    rows.first.wait_for(state="visible")
    sources = source_names()
    page.get_by_text(f"{len(sources)} Partitions", exact=False).first.wait_for(state="visible")
    shot = screenshot(f"{PARTITIONED_ASSET}_partitions")

    shown = {rows.nth(index).get_attribute("data-tooltip") for index in range(rows.count())}
    missing = [source for source in sources if source not in shown]
    assert not missing, f"partitions page of {PARTITIONED_ASSET} lacks sources {missing}; shown: {shown} ({shot})"
