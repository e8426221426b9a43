"""Curation on the real sample data with the planted source: filters, decontamination, cross-source dedup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import orjson
import pyarrow.dataset as ds
import pytest
from dagster import build_sensor_context

from amd_assets.cli.main import main
from amd_assets.contracts.tables import CURATED_PROBLEMS, DEDUP_DECISIONS, REJECTIONS
from amd_assets.ingest.raw import problem_id
from amd_assets.registry import REPO_ROOT
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from resources.lakehouse import LakehouseResource
from sensors import build_benchmark_change_sensor
from tests.dagster_support import source_instance
from tests.pipeline import Pipeline

SOURCES = ["math", "humaneval", "planted", "malformed"]


@pytest.fixture(scope="module")
def curated(tmp_path_factory) -> Pipeline:
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path_factory.mktemp("lakehouse"))), semantic=True)
    pipeline.all(SOURCES)
    return pipeline


def rejection(lakehouse: LakehouseResource, pid: str) -> dict:
    rows = lakehouse.read(REJECTIONS.name, filter=ds.field("problem_id") == pid).to_pylist()
    assert len(rows) == 1, rows
    return {**rows[0], "detail": orjson.loads(rows[0]["detail"])}


def curated_ids(lakehouse: LakehouseResource, source: str) -> set[str]:
    table = lakehouse.read(CURATED_PROBLEMS.name, columns=["problem_id"], filter=ds.field("source") == source)
    return set(table.column("problem_id").to_pylist())


def test_cross_source_exact_and_near_duplicates_keep_the_higher_priority_copy(curated):
    exact = rejection(curated.lakehouse, problem_id("planted", "p01"))
    assert (exact["stage"], exact["reason"]) == ("dedup", "exact_duplicate")
    assert exact["detail"]["kept_problem_id"] == problem_id("math", "Number Theory/467")
    assert exact["detail"]["kept_source"] == "math"

    near = rejection(curated.lakehouse, problem_id("planted", "p02"))
    assert near["reason"] == "near_duplicate"
    assert near["detail"]["kept_problem_id"] == problem_id("math", "Counting & Probability/37")
    assert 0.8 <= near["detail"]["similarity"] < 1.0
    kept_math = curated_ids(curated.lakehouse, "math")
    assert {problem_id("math", "Number Theory/467"), problem_id("math", "Counting & Probability/37")} <= kept_math


def test_distinct_problems_sharing_boilerplate_are_not_merged(curated):
    planted = curated_ids(curated.lakehouse, "planted")
    assert {problem_id("planted", "p04"), problem_id("planted", "p05")} <= planted
    # HumanEval/56 and /61 differ only in "<>" versus "()": exact/MinHash dedup keeps both (symbols are words)...
    both = [problem_id("humaneval", "HumanEval/56"), problem_id("humaneval", "HumanEval/61")]
    decisions = curated.lakehouse.read(DEDUP_DECISIONS.name, filter=ds.field("problem_id").isin(both))
    assert decisions.column("is_kept").to_pylist() == [True, True]
    # ...and semantic dedup merges them: the same task with another bracket pair is one problem under the labels
    # it is calibrated on (data/semantic_pairs counts this very pair as a duplicate).
    merged = rejection(curated.lakehouse, both[1])
    assert merged["reason"] == "semantic_duplicate" and merged["detail"]["kept_problem_id"] == both[0]


def test_semantic_dedup_keeps_distinct_humaneval_problems_that_share_a_template(curated):
    """The plain 0.83 cosine threshold dropped 24 of the 164 HumanEval problems (wrapper and doctests make their
    embeddings close); the content check keeps every one but /61, the duplicate of /56."""
    semantic = curated.lakehouse.read(REJECTIONS.name, filter=ds.field("reason") == "semantic_duplicate")
    humaneval = semantic.filter(ds.field("source") == "humaneval")
    assert humaneval.column("problem_id").to_pylist() == [problem_id("humaneval", "HumanEval/61")]
    kept = curated_ids(curated.lakehouse, "humaneval")
    look_alikes = ("HumanEval/1", "HumanEval/6", "HumanEval/0", "HumanEval/20", "HumanEval/30", "HumanEval/34")
    assert {problem_id("humaneval", key) for key in look_alikes} <= kept
    assert len(kept) == 163


def test_a_planted_math500_problem_is_removed_naming_the_benchmark_item(curated):
    row = rejection(curated.lakehouse, problem_id("planted", "p03"))
    assert (row["stage"], row["reason"]) == ("decontaminate", "benchmark_ngram")
    assert (row["detail"]["benchmark"], row["detail"]["item_id"]) == ("math500", "0")
    assert len(row["detail"]["ngram"].split()) == 13
    assert (row["source_file"], row["source_row"]) == ("data/samples/planted/planted.jsonl", 3)


def test_quality_rules_reject_the_planted_rows_with_their_reason(curated):
    expected = {
        "p06": "url",
        "p07": "image_reference",
        "p08": "table",
        "p09": "unusual_characters",
        "p10": "empty_prompt",
        "p11": "too_short",
        "p12": "incomplete_prompt",
    }
    for key, reason in expected.items():
        row = rejection(curated.lakehouse, problem_id("planted", key))
        assert (row["stage"], row["reason"]) == ("filter", reason), key
    assert curated_ids(curated.lakehouse, "planted") == {problem_id("planted", k) for k in ("p04", "p05", "p13", "p14")}


def test_every_row_is_accounted_for_and_every_check_passed(curated):
    evaluations = [c for s in SOURCES for c in curated.curate(s).get_asset_check_evaluations()]
    assert evaluations and all(c.passed for c in evaluations)
    decisions = curated.lakehouse.read(DEDUP_DECISIONS.name)
    assert decisions.num_rows == len(set(decisions.column("problem_id").to_pylist()))


def test_curated_rows_carry_labels_and_lineage(curated):
    rows = curated.lakehouse.read(CURATED_PROBLEMS.name, filter=ds.field("source") == "math").to_pylist()
    assert {row["difficulty_origin"] for row in rows} == {"source"}
    planted = curated.lakehouse.read(CURATED_PROBLEMS.name, filter=ds.field("source") == "planted").to_pylist()
    assert {(row["difficulty"], row["difficulty_origin"]) for row in planted} == {("unlabeled", "unlabeled")}
    kept = next(row for row in rows if row["row_key"] == "Number Theory/467")
    assert kept["duplicates_merged"] == 1
    assert kept["source_file"] == "data/samples/math/math_sample.jsonl.gz" and kept["source_row"] > 0


def test_signatures_are_reused_on_a_rerun(curated):
    result = curated.run(["problem_signatures"], "math")
    metadata = result.asset_materializations_for_node("problem_signatures")[0].metadata
    assert metadata["signatures_computed"].value == 0
    assert metadata["signatures_reused"].value == metadata["dagster/row_count"].value > 250


def test_amd_sql_shows_the_funnel_per_source_and_reason(curated, capsys):
    query = "SELECT source, stage, reason, count(*) AS n FROM rejections GROUP BY ALL ORDER BY ALL"
    assert main(["--lakehouse", curated.lakehouse.root, "sql", query]) == 0
    out = capsys.readouterr().out
    for reason in ("benchmark_ngram", "near_duplicate", "exact_duplicate", "image_reference", "url"):
        assert reason in out


def write_benchmarks(folder: Path, extra: dict[str, str] | None) -> Path:
    """A copy of the repo's benchmark registry (absolute paths), plus one extra benchmark file if given."""
    text = (REPO_ROOT / "benchmarks.yaml").read_text().replace("path: data/", f"path: {REPO_ROOT}/data/")
    if extra:
        data = folder / "late_benchmark.jsonl"
        data.write_text("".join(json.dumps({"id": key, "problem": value}) + "\n" for key, value in extra.items()))
        text += f"\n  late_benchmark:\n    path: {data}\n    id: id\n    text: [problem]\n    licence: test\n"
    path = folder / "benchmarks.yaml"
    path.write_text(text)
    return path


def test_a_benchmark_added_later_removes_rows_only_after_rematerialization(tmp_path):
    marbles = json.loads((REPO_ROOT / "data/samples/planted/planted.jsonl").read_text().splitlines()[12])["question"]
    registry = write_benchmarks(tmp_path, None)
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path / "lakehouse")), benchmarks=registry)
    pipeline.all(["planted"])
    target = problem_id("planted", "p13")
    assert target in curated_ids(pipeline.lakehouse, "planted")

    write_benchmarks(tmp_path, {"late-1": marbles})
    assert target in curated_ids(pipeline.lakehouse, "planted"), "nothing changes before a re-run"

    pipeline.all(["planted"])
    assert target not in curated_ids(pipeline.lakehouse, "planted")
    row = rejection(pipeline.lakehouse, target)
    assert (row["stage"], row["detail"]["benchmark"], row["detail"]["item_id"]) == (
        "decontaminate",
        "late_benchmark",
        "late-1",
    )


def test_benchmark_change_sensor_requests_every_source_once_per_change(tmp_path):
    registry = write_benchmarks(tmp_path, None)
    sensor = build_benchmark_change_sensor("prepare_sources")
    resources = {
        "benchmark_registry": BenchmarkRegistryResource(path=str(registry)),
        "source_registry": SourceRegistryResource(path=str(REPO_ROOT / "sources.yaml")),
    }

    def evaluate(cursor: str | None):
        # the sensor asks only for sources registered as partitions (source_change registers new ones)
        return sensor(build_sensor_context(instance=source_instance(), cursor=cursor, resources=resources))

    baseline = evaluate(None)
    assert baseline.run_requests == []
    assert evaluate(baseline.cursor).run_requests == []

    write_benchmarks(tmp_path, {"late-1": "Some new benchmark problem text that nobody has seen before today."})
    changed = evaluate(baseline.cursor)
    sources = [request.partition_key for request in changed.run_requests]
    assert sources == ["gsm8k", "math", "humaneval", "mbpp", "malformed", "planted"]
    assert evaluate(changed.cursor).run_requests == []
    shutil.rmtree(tmp_path / "late_benchmark.jsonl", ignore_errors=True)
