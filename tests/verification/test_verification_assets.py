"""response_verdicts and distilled_samples on the real samples: existing traces verified, one sample kept."""

from __future__ import annotations

import orjson
import pyarrow.dataset as ds
import pytest

from amd_assets.contracts.tables import REJECTIONS
from amd_assets.ingest.raw import problem_id
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from tests.pipeline import Pipeline

SOURCES = ["math", "humaneval", "planted"]


@pytest.fixture(scope="module")
def verified(tmp_path_factory) -> Pipeline:
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path_factory.mktemp("lakehouse"))))
    pipeline.all(SOURCES)
    for source in SOURCES:
        pipeline.verify(source)
    return pipeline


def verdicts(pipeline: Pipeline, source: str) -> list[dict]:
    return pipeline.lakehouse.read(RESPONSE_VERDICTS.name, filter=ds.field("source") == source).to_pylist()


def test_existing_code_traces_pass_their_tests(verified):
    code = [v for v in verdicts(verified, "humaneval") if v["verifier"] == "code_sandbox"]
    assert len(code) == 164 and all(v["passed"] and v["score"] == 1.0 for v in code)
    distilled = verified.lakehouse.count(DISTILLED_SAMPLES.name, ds.field("source") == "humaneval")
    assert distilled == 164


def test_math_reference_solutions_pass_math_verify(verified):
    maths = [v for v in verdicts(verified, "math") if v["verifier"] == "math_verify"]
    assert len(maths) == verified.lakehouse.count("curated_problems", ds.field("source") == "math")
    assert sum(v["passed"] for v in maths) / len(maths) > 0.97


def test_every_rule_runs_and_answer_only_traces_pass_the_format_rule(verified):
    rules = {v["verifier"] for v in verdicts(verified, "math")}
    assert {"rule_format", "rule_repetition", "rule_length", "rule_language"} <= rules
    formats = [v for v in verdicts(verified, "math") if v["verifier"] == "rule_format"]
    assert all(v["passed"] for v in formats)


def test_a_rerun_verifies_nothing_twice(verified):
    before = verified.lakehouse.count(RESPONSE_VERDICTS.name)
    result = verified.run(["response_verdicts"], "math")
    metadata = result.asset_materializations_for_node("response_verdicts")[0].metadata
    assert metadata["new_verdicts"].value == 0 and metadata["already_stored"].value > 0
    assert verified.lakehouse.count(RESPONSE_VERDICTS.name) == before


def test_problems_without_a_response_are_listed_with_why(verified):
    rows = verified.lakehouse.read(
        REJECTIONS.name, filter=(ds.field("source") == "planted") & (ds.field("stage") == "distill")
    ).to_pylist()
    assert {row["problem_id"] for row in rows} == {problem_id("planted", k) for k in ("p04", "p05", "p13", "p14")}
    assert {row["reason"] for row in rows} == {"no_response"}
    kept = verified.lakehouse.read(DISTILLED_SAMPLES.name, filter=ds.field("source") == "math").to_pylist()
    assert all(orjson.loads(row["verdicts"])["math_verify"] == "pass" for row in kept)
