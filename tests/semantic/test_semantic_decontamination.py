"""Semantic decontamination inside `decontaminated_problems`, on the two-source run of conftest.py."""

from __future__ import annotations

import orjson
import pyarrow.dataset as ds

from amd_assets.contracts.tables import DECONTAMINATED_PROBLEMS, REJECTIONS
from amd_assets.ingest.raw import problem_id
from tests.semantic.conftest import metadata


def test_a_reworded_benchmark_item_with_a_number_changed_is_removed(pipeline):
    rows = pipeline.lakehouse.read(REJECTIONS.name, filter=ds.field("problem_id") == problem_id("planted", "p6"))
    (row,) = rows.to_pylist()
    detail = orjson.loads(row["detail"])
    assert (row["stage"], row["reason"]) == ("decontaminate", "benchmark_semantic")
    assert (detail["benchmark"], detail["item_id"]) == ("aime2024", "aime24-7")
    assert detail["similarity"] >= 0.94 and detail["model"] == "wordllama:l2_supercat@256"


def test_sharing_a_benchmarks_boilerplate_is_not_contamination(pipeline):
    kept = pipeline.lakehouse.read(DECONTAMINATED_PROBLEMS.name, columns=["problem_id"]).column("problem_id")
    assert problem_id("planted", "p7") in kept.to_pylist()
    result = pipeline.run(["decontaminated_problems"], "planted")
    shown = metadata(result, "decontaminated_problems")
    assert shown["rejected_by_reason"] == {"benchmark_semantic": 1}
    assert shown["semantic_check"] == {"model": "wordllama:l2_supercat@256", "threshold": 0.94}
