"""What a user sees on a fresh instance: the global asset lineage shows every pipeline stage and every dbt audit
model, and a partitioned asset lists one partition per entry of `sources.yaml`.

Only 127.0.0.1 is ever contacted (see conftest). `AMD_SKIP_UI_TEST=1` skips this module; nothing else does.
"""

from __future__ import annotations

import time

from tests.ui.ui_support import PIPELINE_STAGES, SKIP_UI, DagsterDev, dbt_model_names, graphql, source_names

pytestmark = SKIP_UI
PARTITIONED_ASSET = "raw_problems"
LINEAGE_VIEWPORT = {"width": 2400, "height": 3000}

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
    default = page.viewport_size
    # Large enough to draw every node: the graph only renders what is on screen.
    page.set_viewport_size(LINEAGE_VIEWPORT)
    try:
        page.goto(f"{dagster_dev.base_url}/asset-groups")
        page.get_by_text("Global asset lineage").first.wait_for(state="visible")
        expand_all_groups(page)
        page.wait_for_load_state("networkidle")
        shot = screenshot("global_asset_lineage")
        drawn = graph_labels(page)
    finally:
        page.set_viewport_size(default)
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
    sources = source_names(dagster_dev.registry)
    page.get_by_text(f"{len(sources)} Partitions", exact=False).first.wait_for(state="visible")
    shot = screenshot(f"{PARTITIONED_ASSET}_partitions")

    shown = {rows.nth(index).get_attribute("data-tooltip") for index in range(rows.count())}
    missing = [source for source in sources if source not in shown]
    assert not missing, f"partitions page of {PARTITIONED_ASSET} lacks sources {missing}; shown: {shown} ({shot})"
