"""Each release gate passes on the real release and fails on a planted violation in its release_rows."""

import shutil

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from dagster import AssetKey, AssetSelection, materialize

from amd_assets.contracts.tables import REJECTIONS
from amd_assets.release.assets import release
from amd_assets.release.tables import RELEASE_ROWS
from resources.lakehouse import LakehouseResource


def released_rows(history, lakehouse: LakehouseResource) -> list[dict]:
    """The rows of the version the gates inspect: the `release_rows` partition of the latest release run (other
    tests may have released more versions since the history was built)."""
    event = history.pipeline.instance.get_latest_materialization_event(AssetKey(RELEASE_ROWS.name))
    version = event.dagster_event.partition
    return lakehouse.read(RELEASE_ROWS.name, filter=ds.field("release_version") == version).to_pylist()


def plant(lakehouse: LakehouseResource, rows: list[dict]) -> None:
    schema = RELEASE_ROWS.schema
    lakehouse.append(RELEASE_ROWS.name, [pa.RecordBatch.from_pylist(rows, schema=schema)], schema, ["release_version"])


def run_gates(history, lakehouse: LakehouseResource) -> dict[str, bool]:
    resources = {**history.pipeline.resources, "lakehouse": lakehouse}
    result = materialize(
        history.pipeline.assets,
        selection=AssetSelection.checks_for_assets(release),
        instance=history.pipeline.instance,  # its latest release materialization names the version to check
        resources=resources,
        raise_on_error=False,
    )
    return {c.check_name: c.passed for c in result.get_asset_check_evaluations()}


@pytest.fixture
def copy(history, tmp_path) -> LakehouseResource:
    """The history's lakehouse, copied so planted rows never leak into other tests."""
    shutil.copytree(history.pipeline.lakehouse.root_path(), tmp_path / "lakehouse")
    return LakehouseResource(root=str(tmp_path / "lakehouse"))


def test_gates_pass_on_the_real_release(history, copy):
    assert run_gates(history, copy) == dict.fromkeys(
        ["unique_problem_id", "not_contaminated_or_duplicate", "accepted_verdict", "am_format"], True
    )


def test_a_duplicated_problem_fails_unique_problem_id(history, copy):
    plant(copy, released_rows(history, copy)[:1])
    assert run_gates(history, copy)["unique_problem_id"] is False


def test_a_decontaminated_problem_fails_the_contamination_gate(history, copy):
    row = released_rows(history, copy)[0]
    flagged = {k: row[k] for k in ("problem_id", "source", "source_file", "source_row")}
    flagged.update(stage="decontaminate", reason="benchmark_ngram", detail="{}")
    copy.append(
        REJECTIONS.name,
        [pa.RecordBatch.from_pylist([flagged], schema=REJECTIONS.schema)],
        REJECTIONS.schema,
        REJECTIONS.partition_by,
    )
    assert run_gates(history, copy)["not_contaminated_or_duplicate"] is False


def test_a_dropped_duplicate_fails_the_contamination_gate(history, copy):
    row = released_rows(history, copy)[0]
    decisions = copy.read("dedup_decisions").to_pylist()
    for decision in decisions:
        if decision["problem_id"] == row["problem_id"]:
            decision.update(is_kept=False, kept_problem_id="f" * 24, reason="near_duplicate", similarity=0.9)
    from amd_assets.contracts.tables import DEDUP_DECISIONS

    schema = DEDUP_DECISIONS.schema
    copy.replace_table(DEDUP_DECISIONS.name, [pa.RecordBatch.from_pylist(decisions, schema=schema)], schema, ["source"])
    assert run_gates(history, copy)["not_contaminated_or_duplicate"] is False


def test_an_unaccepted_response_fails_accepted_verdict(history, copy):
    row = released_rows(history, copy)[0]
    row.update(problem_id="a" * 24, response_id="b" * 24)  # a response no verifier ever passed
    plant(copy, [row])
    gates = run_gates(history, copy)
    assert gates["accepted_verdict"] is False and gates["unique_problem_id"] is True


@pytest.mark.parametrize(
    "breakage",
    [
        lambda m: m.reverse(),  # assistant first
        lambda m: m[1].update(content=m[1]["content"].replace("<answer>", "<reply>")),  # no <answer>
        lambda m: m.pop(),  # user turn only
    ],
    ids=["turn_order", "no_answer_tag", "one_turn"],
)
def test_a_malformed_record_fails_am_format(history, copy, breakage):
    row = released_rows(history, copy)[0]
    row["problem_id"] = "c" * 24
    breakage(row["messages"])
    plant(copy, [row])
    gates = run_gates(history, copy)
    assert gates["am_format"] is False and gates["unique_problem_id"] is True
