"""`amd lineage`, the `release_lineage` SQL view and `amd release-diff` on a real release history."""

import shutil

import orjson
import pyarrow.dataset as ds
import pytest

from amd_assets.cli.main import main
from amd_assets.release.tables import RELEASE_ROWS
from tests.release.conftest import version_of
from tests.release.release_fixtures import contaminating_benchmarks, small_pipeline


def a_released_humaneval_row(history) -> dict:
    rows = history.pipeline.lakehouse.read(
        RELEASE_ROWS.name, filter=(ds.field("release_version") == history.second) & (ds.field("source") == "humaneval")
    )
    return rows.slice(3, 1).to_pylist()[0]


def test_lineage_prints_the_input_line_stages_verdicts_and_releases(history, capsys):
    row = a_released_humaneval_row(history)
    code = main(["--lakehouse", history.pipeline.lakehouse.root, "lineage", row["problem_id"]])
    out = capsys.readouterr().out
    assert code == 0
    assert f"input: {row['source_file']} line {row['source_row']}" in out
    assert "decontaminate: kept" in out and "dedup: kept" in out and f"difficulty={row['difficulty']}" in out
    assert f"response {row['response_id']} origin=existing model=human" in out
    assert "code_sandbox@1: pass (passed=True)" in out and "rule_format@" in out
    assert f"distilled: response {row['response_id']}" in out
    assert history.first in out and history.second in out  # in both releases


def test_lineage_of_an_unknown_problem_says_so(history, capsys):
    assert main(["--lakehouse", history.pipeline.lakehouse.root, "lineage", "0" * 24]) == 1
    assert "not in raw_problems" in capsys.readouterr().out


def test_release_lineage_view_answers_in_amd_sql(history, capsys):
    row = a_released_humaneval_row(history)
    query = (
        "SELECT release_version, source_file, source_row, dedup_kept, distilled_choice_matches "
        f"FROM release_lineage WHERE problem_id = '{row['problem_id']}' ORDER BY 1"
    )
    assert main(["--lakehouse", history.pipeline.lakehouse.root, "sql", query]) == 0
    out = capsys.readouterr().out
    assert history.first in out and history.second in out and row["source_file"] in out


def pipeline_raw_record(history, problem_id: str) -> dict:
    raw = history.pipeline.lakehouse.read("raw_problems", filter=ds.field("problem_id") == problem_id)
    return orjson.loads(raw.column("record")[0].as_py())


@pytest.fixture(scope="module")
def contaminated(history, tmp_path_factory):
    """A copy of the history where one released humaneval problem becomes a benchmark item, then release C."""
    root = tmp_path_factory.mktemp("contaminated")
    shutil.copytree(history.pipeline.lakehouse.root_path(), root / "lakehouse")
    row = a_released_humaneval_row(history)
    raw = pipeline_raw_record(history, row["problem_id"])
    # the original HumanEval prompt, not our templated one: the template's words are in every humaneval row
    benchmarks = contaminating_benchmarks(root / "benchmarks", raw["prompt"])
    pipeline = small_pipeline(root / "lakehouse", history.registry, root / "releases", benchmarks)
    pipeline.prepare("humaneval")
    pipeline.dedup()
    pipeline.curate("humaneval")
    pipeline.verify("humaneval")
    return pipeline, row, version_of(pipeline.release())


def test_release_diff_names_a_decontamination_and_a_new_source(history, contaminated, capsys):
    pipeline, leaked, third = contaminated
    assert main(["--lakehouse", pipeline.lakehouse.root, "release-diff", history.first, third]) == 0
    out = capsys.readouterr().out
    lines = [line.split("\t") for line in out.splitlines() if "\t" in line]
    removed = [line for line in lines if line[0] == "removed"]
    assert [(r[1], r[4]) for r in removed] == [
        (leaked["problem_id"], "decontamination (rejected at stage decontaminate)")
    ]
    added = [line for line in lines if line[0] == "added"]
    assert len(added) == 30 and {(a[2], a[4]) for a in added} == {("math", "new source")}
    assert "removed        1  decontamination" in out and "added         30  new source" in out


def test_release_diff_of_unknown_versions_fails(history, capsys):
    assert main(["--lakehouse", history.pipeline.lakehouse.root, "release-diff", history.first, "r-nope"]) == 1
    assert "unknown release version" in capsys.readouterr().err
