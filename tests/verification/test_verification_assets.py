"""response_verdicts and distilled_samples on the real samples: existing traces verified, one sample kept."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from amd_assets.contracts.tables import REJECTIONS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.ingest.raw import problem_id
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS, VERIFIER_VERSIONS
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


def test_math_workers_start_only_for_a_source_with_math(verified):
    result = verified.run(["response_verdicts"], "humaneval")
    metadata = result.asset_materializations_for_node("response_verdicts")[0].metadata
    assert metadata["math_pool"].value == "not needed (no math to verify)"


def test_a_rerun_verifies_nothing_twice(verified):
    before = verified.lakehouse.count(RESPONSE_VERDICTS.name)
    result = verified.run(["response_verdicts"], "math")
    metadata = result.asset_materializations_for_node("response_verdicts")[0].metadata
    assert metadata["new_verdicts"].value == 0 and metadata["already_stored"].value > 0
    assert verified.lakehouse.count(RESPONSE_VERDICTS.name) == before


def test_each_run_records_the_versions_it_judged_with(verified):
    recorded = verified.lakehouse.read(VERIFIER_VERSIONS.name, filter=ds.field("source") == "humaneval").to_pylist()
    current = Acceptance(JudgeResource()).current_verdicts()  # the pipeline's judge: the defaults, not configured
    assert {(r["origin"], r["verifier"], r["verifier_version"]) for r in recorded} == {
        (c["origin"], c["verifier"], c["verifier_version"]) for c in current
    }
    assert len({r["run_id"] for r in recorded}) >= 1 and len(recorded) % len(current) == 0


def test_problems_without_a_response_are_listed_with_why(verified):
    rows = verified.lakehouse.read(
        REJECTIONS.name, filter=(ds.field("source") == "planted") & (ds.field("stage") == "distill")
    ).to_pylist()
    assert {row["problem_id"] for row in rows} == {problem_id("planted", k) for k in ("p04", "p05", "p13", "p14")}
    assert {row["reason"] for row in rows} == {"no_response"}
    kept = verified.lakehouse.read(DISTILLED_SAMPLES.name, filter=ds.field("source") == "math").to_pylist()
    assert all(orjson.loads(row["verdicts"])["math_verify"] == "pass" for row in kept)


def teacher_row(problem: dict, index: int, text_answer: str | None, think: str = "Let me work it out.") -> dict:
    """A teacher_responses row as the generation stage writes it (status ok)."""
    answer = text_answer
    text = f"<think>\n{think}\n</think>\n" + (f"<answer>\n{answer}\n</answer>" if answer is not None else "")
    return {
        "response_id": f"{index:024x}",
        "problem_id": problem["problem_id"],
        "source": problem["source"],
        "source_file": problem["source_file"],
        "source_row": problem["source_row"],
        "origin": "teacher",
        "sample_index": 0,
        "category": problem["category"],
        "status": "ok",
        "truncated": False,
        "text": text,
        "reasoning": None,
        "think": think,
        "answer": answer,
        "split_method": "tags",
        "finish_reason": "stop",
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "latency_s": 0.1,
        "elapsed_s": 0.1,
        "attempts": 1,
        "error_class": None,
        "error": None,
        "retryable": None,
        "backend": "openai",
        "model": "test-teacher",
        "served_model": None,
        "endpoint": None,
        "sampling_params": "{}",
        "prompt_version": "v",
        "run_id": "r",
        "created_at": datetime.now(UTC),
    }


def test_swapped_answers_fail_and_an_answerless_response_fails_format(tmp_path):
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path / "lakehouse")))
    pipeline.all(["math"])
    distinct: dict[str, dict] = {}
    for problem in pipeline.lakehouse.read("curated_problems").to_pylist():
        if problem["reference_answer"].isdigit():  # plain integers: a swap is surely a different answer
            distinct.setdefault(problem["reference_answer"], problem)
    problems = list(distinct.values())[:6]
    boxed = [f"The answer is $\\boxed{{{p['reference_answer']}}}$." for p in problems]
    rows = [teacher_row(p, i, boxed[i]) for i, p in enumerate(problems[:2])]  # correct
    rows += [teacher_row(p, 10 + i, boxed[(i + 3) % 6]) for i, p in enumerate(problems[2:4], start=2)]  # swapped
    rows.append(teacher_row(problems[4], 20, None))  # reasoning but no <answer>
    schema = TEACHER_RESPONSES.schema
    pipeline.lakehouse.append(
        TEACHER_RESPONSES.name, [pa.RecordBatch.from_pylist(rows, schema=schema)], schema, ["source"]
    )
    pipeline.verify("math")
    by_response = {}
    for verdict in verdicts(pipeline, "math"):
        if verdict["origin"] == "teacher":
            by_response.setdefault(verdict["response_id"], {})[verdict["verifier"]] = verdict
    assert all(by_response[f"{i:024x}"]["math_verify"]["passed"] for i in (0, 1))
    for k in (2, 3):
        given, own = problems[(k + 3) % 6]["reference_answer"], problems[k]["reference_answer"]
        assert by_response[f"{10 + k:024x}"]["math_verify"]["verdict"] == "mismatch", (given, own)
    answerless = by_response[f"{20:024x}"]
    assert not answerless["rule_format"]["passed"] and answerless["rule_format"]["reason"] == "missing_answer"
    assert answerless["math_verify"]["verdict"] == "no_answer"
