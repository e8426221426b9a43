"""Fixtures of the UI tests: one `dagster dev` (set up like `make ui`) and one browser page for the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ui.ui_support import (
    CHROMIUM_ARGS,
    DAGSTER,
    LOCAL_HOST,
    REPO_ROOT,
    UI_TIMEOUT_MS,
    DagsterDev,
    free_port,
    is_local,
    make_ui_environment,
    stop,
    wait_until_loaded,
)


@pytest.fixture(scope="package")
def dagster_dev(tmp_path_factory) -> Iterator[DagsterDev]:
    assert DAGSTER.exists(), f"{DAGSTER} missing: run `make bootstrap` (uv sync) first"
    tmp = tmp_path_factory.mktemp("dagster_ui")
    env = make_ui_environment(tmp)
    home = Path(env["DAGSTER_HOME"])
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
    dev = DagsterDev(process, f"http://{LOCAL_HOST}:{port}", home, log, Path(env["AMD_SOURCES"]), env)
    try:
        started = time.monotonic()
        wait_until_loaded(dev)
        print(f"dagster dev ready in {time.monotonic() - started:.1f} s on {dev.base_url}")
        yield dev
    finally:
        stop(dev)


# -- the browser ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package", autouse=True)
def chromium() -> str:
    """The system chromium, checked before `dagster dev` starts: missing is a failure, never a silent skip."""
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it (Makefile bootstrap, as root) or run "
            "'sudo apt-get install -y chromium'; set AMD_SKIP_UI_TEST=1 to skip the UI test deliberately"
        )
    return path


@pytest.fixture(scope="package")
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
