"""Running the pipeline from the UI, as a user does: one partition launched from a job's "Materialize all…"
dialog, a backfill of a per-source job over every source, and a source added to `sources.yaml` while the UI runs.

The one-partition run is timed against `amd materialize` of the same job and partition, interleaved (UI, CLI, UI,
CLI) so load drift on a shared machine hits both; the ratio is printed and held to the issue's bound.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Callable

import yaml

from tests.ui.ui_support import AMD, LOCATION, REPO_ROOT, SKIP_UI, DagsterDev, graphql, source_names

pytestmark = SKIP_UI

RUN_TIMEOUT_S = 240.0
PAGE_TIMEOUT_MS = 120_000
MATERIALIZE = re.compile(r"^Materialize( all)?…$")
# The launch dialog is modal; the partition picker inside it is a (non-modal) dialog too.
LAUNCH_DIALOG = '[role="dialog"][aria-modal="true"]'
# "A one-partition run from the UI takes at most 1.5x the CLI's time for the same partition" (issue 11).
MAX_UI_CLI_RATIO = 1.5
RUNS = """{ runsOrError(filter: {pipelineName: "%s"}) { ... on Runs { results {
    runId status creationTime startTime endTime tags { key value } } } } }"""
BACKFILLS = "{ partitionBackfillsOrError { ... on PartitionBackfills { results { id status numPartitions } } } }"
PARTITIONS = """{ partitionSetsOrError(repositorySelector: {repositoryName: "__repository__",
    repositoryLocationName: "%s"}, pipelineName: "%s") { ... on PartitionSets { results {
    partitionsOrError { ... on Partitions { results { name } } } } } } }"""


def runs_of(dev: DagsterDev, job: str) -> list[dict]:
    return graphql(dev.base_url, RUNS % job)["runsOrError"]["results"]


def partition_of(run: dict) -> str | None:
    return next((tag["value"] for tag in run["tags"] if tag["key"] == "dagster/partition"), None)


def wait_for(
    page,
    condition: Callable[[], object],
    what: str | Callable[[], str],
    timeout: float = RUN_TIMEOUT_S,
    every: float = 0.25,
):
    """Poll `condition` until it is truthy. The pauses go through the page: Playwright serves the page's routed
    requests (conftest's network guard) only while a Playwright call runs, so `time.sleep` would stall the UI."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        page.wait_for_timeout(every * 1000)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


def open_materialize_dialog(page, dev: DagsterDev, job: str):
    page.goto(f"{dev.base_url}/locations/{LOCATION}/jobs/{job}")
    # The job page renders the asset graph first: on a loaded machine the button can take a minute to appear.
    # A CSS locator, not a role: while the "Join the Dagster community" modal shows, the page behind it is
    # aria-hidden, and the modal's handler (conftest) only runs once an action is blocked by it. A job of one
    # asset says "Materialize…", of several "Materialize all…".
    page.locator("button", has_text=MATERIALIZE).click(timeout=PAGE_TIMEOUT_MS)
    dialog = page.locator(LAUNCH_DIALOG).filter(has_text="Partition selection")
    upstream_warning = page.locator(LAUNCH_DIALOG).filter(has_text="Are you sure?")
    dialog.or_(upstream_warning).wait_for(state="visible")
    if upstream_warning.is_visible():  # "upstream assets ... have not been materialized yet": launch anyway
        upstream_warning.get_by_role("button", name="Confirm").click()
        dialog.wait_for(state="visible")
    return dialog


def launch_partition_from_ui(page, dev: DagsterDev, job: str, partition: str) -> float:
    """Launch one run of `job` for `partition` from the job's dialog; returns the time of the click."""
    dialog = open_materialize_dialog(page, dev, job)
    tick_partition(page, dialog, partition)
    # Closes the partition menu if it is open; Escape would close the dialog when it is not.
    dialog.get_by_text("Launch runs to materialize").first.click()
    return launch(page, dialog, "Launch 1 run")


def tick_partition(page, dialog, partition: str) -> None:
    """Tick `partition` in the dialog's partition menu, until the dialog offers to launch one run. While runs of the
    job finish, the dialog refetches the partitions' health and re-renders: on a loaded CI machine a menu item never
    held still long enough for Playwright's checks ("element was detached from the DOM" for 45 s), and once the
    menu itself closed for good. So each pass opens the menu if it is closed, or clicks the item without waiting for
    it to be stable, then reads the launch button on the next pass (a second click on a ticked item would untick
    it)."""
    from playwright.sync_api import Error as PlaywrightError

    menu = dialog.get_by_text("Select a partition or create one")
    # The item holding an element whose whole text is the key (`gsm8k` must not pick `gsm8k_again`).
    item = page.get_by_role("menuitem").filter(has=page.get_by_text(partition, exact=True))
    one_run = dialog.get_by_role("button", name="Launch 1 run", exact=True)

    def ticked() -> bool:
        if one_run.count():
            return True
        with contextlib.suppress(PlaywrightError):  # detached mid-click: the next pass looks again
            if item.count():
                item.click(force=True, timeout=5_000)
            else:
                menu.click(timeout=5_000)
        return False

    wait_for(
        page,
        ticked,
        lambda: f"partition {partition!r} to be ticked; the page shows:\n{page.inner_text('body')[:3000]}",
        timeout=PAGE_TIMEOUT_MS / 1000,
    )


def launch(page, dialog, button: str) -> float:
    """Click the dialog's launch button and wait for the launch to go through (the dialog closes); an error the
    UI reports instead fails the test with its text. Returns the time of the click."""
    dialog.get_by_role("button", name=button).click()
    clicked = time.monotonic()
    try:
        dialog.wait_for(state="hidden", timeout=PAGE_TIMEOUT_MS)
    except Exception as error:
        raise AssertionError(
            f"{button!r} did not go through; the page shows:\n{page.inner_text('body')[:3000]}"
        ) from error
    return clicked


def ui_run_seconds(page, dev: DagsterDev, job: str, partition: str) -> float:
    """From the click on "Launch 1 run" to the run's success, as the user waits for it."""
    before = {run["runId"] for run in runs_of(dev, job)}
    clicked = launch_partition_from_ui(page, dev, job, partition)

    def finished() -> dict | None:
        new = [run for run in runs_of(dev, job) if run["runId"] not in before]
        return new[0] if new and new[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED") else None

    run = wait_for(
        page, finished, lambda: f"the UI run of {job}:{partition}; runs: {runs_of(dev, job)}\n{dev.log_tail()}"
    )
    seconds = time.monotonic() - clicked
    assert run["status"] == "SUCCESS", f"UI run {run['runId']} of {job}:{partition} ended {run['status']}"
    queued, running = run["startTime"] - run["creationTime"], run["endTime"] - run["startTime"]
    print(
        f"UI run {partition}: {seconds:.1f} s = launch and polling {seconds - queued - running:.1f} + queue and "
        f"run-worker start {queued:.1f} + run {running:.1f}"
    )
    assert partition_of(run) == partition
    return seconds


def cli_run_seconds(dev: DagsterDev, tmp_path, job: str, partition: str) -> float:
    """`amd materialize` of the same job and partition, in its own instance and lakehouse (as a user would)."""
    env = {**dev.env, "DAGSTER_HOME": str(tmp_path / "cli_home")}
    command = [str(AMD), "--lakehouse", str(tmp_path / "cli_lakehouse"), "materialize"]
    started = time.monotonic()
    done = subprocess.run(
        [*command, "--source", partition, "--job", job], env=env, capture_output=True, text=True, cwd=REPO_ROOT
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    return seconds


def test_one_partition_from_the_ui_takes_about_what_the_cli_takes(dagster_dev, browser_page, screenshot, tmp_path):
    ui, cli = [], []
    for _ in range(2):  # interleaved: UI, CLI, UI, CLI
        ui.append(ui_run_seconds(browser_page, dagster_dev, "prepare_sources", "gsm8k"))
        cli.append(cli_run_seconds(dagster_dev, tmp_path, "prepare_sources", "gsm8k"))
    screenshot("one_partition_run")
    ratio = sum(ui) / sum(cli)
    print(
        f"prepare_sources gsm8k: UI {[round(s, 1) for s in ui]} s, CLI {[round(s, 1) for s in cli]} s, "
        f"UI/CLI ratio {ratio:.2f}"
    )
    assert ratio <= MAX_UI_CLI_RATIO, f"UI {ui} s vs CLI {cli} s: ratio {ratio:.2f} > {MAX_UI_CLI_RATIO}"


def latest_backfill(dev: DagsterDev, status_prefix: str) -> dict | None:
    backfill = graphql(dev.base_url, BACKFILLS)["partitionBackfillsOrError"]["results"][0]
    return backfill if backfill["status"].startswith(status_prefix) else None


def overlapping(runs: list[dict]) -> int:
    """The most runs that were executing at the same moment."""
    events = sorted([(run["startTime"], 1) for run in runs] + [(run["endTime"], -1) for run in runs])
    most = running = 0
    for _, step in events:
        running += step
        most = max(most, running)
    return most


def test_a_backfill_of_every_source_succeeds_within_the_run_queue(dagster_dev, browser_page, screenshot):
    """generate_responses over every source (the backfill that failed with code-server timeouts), plus a second
    run of one source launched while the backfill's run of it may still be queued: the queue must never run
    more than the machine's runs at once, nor two runs of one source."""
    page, job = browser_page, "generate_responses"
    sources = source_names(dagster_dev.registry)
    before = {run["runId"] for run in runs_of(dagster_dev, job)}
    dialog = open_materialize_dialog(page, dagster_dev, job)
    dialog.get_by_role("button", name="All", exact=True).click()
    launch(page, dialog, "Launch backfill")
    launch_partition_from_ui(page, dagster_dev, job, sources[0])

    def all_done() -> list[dict] | None:
        new = [run for run in runs_of(dagster_dev, job) if run["runId"] not in before]
        done = [run for run in new if run["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        return new if len(done) == len(sources) + 1 == len(new) else None

    runs = wait_for(page, all_done, f"{len(sources) + 1} runs of {job}", every=1.0)
    screenshot("backfill_runs")
    assert [run["status"] for run in runs] == ["SUCCESS"] * len(runs), [(partition_of(r), r["status"]) for r in runs]
    assert sorted(partition_of(run) for run in runs) == sorted([*sources, sources[0]])
    # The backfill daemon marks the backfill done on its next pass after the last run.
    backfill = wait_for(page, lambda: latest_backfill(dagster_dev, "COMPLETED"), "the backfill to complete", every=1.0)
    assert backfill["status"] == "COMPLETED_SUCCESS" and backfill["numPartitions"] == len(sources), backfill
    queue = yaml.safe_load((dagster_dev.home / "dagster.yaml").read_text())["run_queue"]
    assert overlapping(runs) <= queue["max_concurrent_runs"], runs
    twice = [run for run in runs if partition_of(run) == sources[0]]
    assert overlapping(twice) == 1, f"two runs of {sources[0]} ran at once: {twice}"
    print(f"{job} backfill: {len(runs)} runs, at most {overlapping(runs)} at once")


def test_a_source_added_to_the_registry_appears_without_a_reload(dagster_dev, browser_page, screenshot):
    registry = yaml.safe_load(dagster_dev.registry.read_text())
    registry["sources"]["gsm8k_again"] = {**registry["sources"]["gsm8k"], "priority": 1}
    dagster_dev.registry.write_text(yaml.safe_dump(registry, sort_keys=False))
    started = time.monotonic()

    def listed() -> bool:
        results = graphql(dagster_dev.base_url, PARTITIONS % (LOCATION, "prepare_sources"))["partitionSetsOrError"]
        names = {p["name"] for s in results["results"] for p in s["partitionsOrError"]["results"]}
        return "gsm8k_again" in names

    wait_for(browser_page, listed, "the source_change sensor to add the new partition", timeout=180, every=2.0)
    print(f"new source listed {time.monotonic() - started:.0f} s after it was added to sources.yaml")
    page = browser_page
    page.goto(f"{dagster_dev.base_url}/assets/raw_problems?view=partitions")
    page.get_by_text("gsm8k_again").first.wait_for(state="visible")
    screenshot("new_source_partition")
    # Its first prepare_sources run was requested by the sensor, on the new partition.
    run = wait_for(
        page,
        lambda: next((r for r in runs_of(dagster_dev, "prepare_sources") if partition_of(r) == "gsm8k_again"), None),
        "the sensor's run of the new source",
    )
    assert any(tag == {"key": "amd/trigger", "value": "source_change"} for tag in run["tags"])
