"""One acceptance rule for distillation, generation and the release: current versions, the judge's second opinion
on math mismatches, `unverified` as pending — and bugged code traces failing through `response_verdicts`."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from test_judge import judge_stub
from test_verification_assets import teacher_row

from amd_assets.contracts.tables import REJECTIONS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.acceptance import ACCEPTED, PENDING, REJECTED, Acceptance, Outcome, assess_source
from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import MATH_JUDGE, JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from tests.pipeline import Pipeline

MATH = Candidate("r", "p", "s", "f", 1, "teacher", "math", "What is 2+2?", "4", None, "two and two", "\\boxed{4}")
JUDGED = Candidate("j", "p", "s", "f", 1, "teacher", "general", "Plan a trip.", None, None, "think", "Day 1: ...")


def passing(acceptance: Acceptance, candidate: Candidate) -> dict[tuple[str, str], Outcome]:
    return {(name, version): Outcome(True, 1.0, "pass") for name, version in acceptance.required(candidate).items()}


def test_every_required_verifier_must_pass_under_its_current_version():
    acceptance = Acceptance(JudgeResource())
    stored = passing(acceptance, MATH)
    assert acceptance.assess(MATH, stored).status == ACCEPTED
    # a verdict of an older math-verify version does not count: the response waits for re-verification
    current = ("math_verify", acceptance.required(MATH)["math_verify"])
    old = {key: v for key, v in stored.items() if key != current} | {("math_verify", "0.0.1+amd.1"): stored[current]}
    assert acceptance.assess(MATH, old).status == PENDING
    # one failed rule rejects it
    failed = {**stored, ("rule_repetition", acceptance.required(MATH)["rule_repetition"]): Outcome(False, None, "fail")}
    verdict = acceptance.assess(MATH, failed)
    assert verdict.status == REJECTED and verdict.failed == ("rule_repetition",)


def test_a_judge_category_response_without_a_judge_is_pending_not_rejected():
    acceptance = Acceptance(JudgeResource())
    stored = passing(acceptance, JUDGED)
    stored[("judge_rubric", acceptance.judge.verifier_version)] = Outcome(False, None, "unverified")
    verdict = acceptance.assess(JUDGED, stored)
    assert verdict.status == PENDING and verdict.missing == ("judge_rubric",)


def test_the_math_judge_overturns_a_mismatch_only_when_it_says_equivalent():
    judge = JudgeResource(base_url="http://127.0.0.1:9/v1", model="m")
    acceptance = Acceptance(judge)
    stored = passing(acceptance, MATH)
    stored[("math_verify", acceptance.required(MATH)["math_verify"])] = Outcome(False, 0.0, "mismatch")
    assert acceptance.assess(MATH, stored).status == REJECTED
    second = (MATH_JUDGE, judge.math_judge_version)
    overturned = acceptance.assess(MATH, {**stored, second: Outcome(True, 1.0, "pass")})
    assert overturned.status == ACCEPTED and MATH_JUDGE in overturned.decided_by
    assert acceptance.assess(MATH, {**stored, second: Outcome(False, 0.0, "fail")}).status == REJECTED
    # the judge never overturns a verdict other than mismatch (no answer at all stays a failure)
    no_answer = {**stored, ("math_verify", acceptance.required(MATH)["math_verify"]): Outcome(False, 0.0, "no_answer")}
    assert acceptance.assess(MATH, {**no_answer, second: Outcome(True, 1.0, "pass")}).status == REJECTED


def test_math_mismatches_get_the_judges_second_opinion_through_the_asset(tmp_path):
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path / "lakehouse")))
    pipeline.all(["math"])
    problems = [p for p in pipeline.lakehouse.read("curated_problems").to_pylist() if p["reference_answer"].isdigit()]
    first, second = problems[:2]
    rows = [
        teacher_row(first, 0, f"It is $\\boxed{{{first['reference_answer']}}}$."),  # pass: no second opinion
        # math-verify cannot read a number in words: a mismatch the judge calls equivalent
        teacher_row(second, 1, "It is \\boxed{\\text{the reference value}}."),
        teacher_row(second, 2, "It is \\boxed{123456789}."),  # a mismatch the judge rejects
    ]
    schema = TEACHER_RESPONSES.schema
    pipeline.lakehouse.append(
        TEACHER_RESPONSES.name, [pa.RecordBatch.from_pylist(rows, schema=schema)], schema, ["source"]
    )

    def respond(body: dict) -> str:
        equivalent = "reference value" in body["messages"][-1]["content"]
        return json.dumps({"equivalent": equivalent, "rationale": "stub"})

    with judge_stub([(200, "")], respond=respond) as (url, log):
        pipeline.resources["judge"] = JudgeResource(
            base_url=url, model="stub-judge", request_attempts=2, request_timeout_s=10
        )
        pipeline.verify("math")
    verdicts = pipeline.lakehouse.read(RESPONSE_VERDICTS.name, filter=ds.field("verifier") == MATH_JUDGE).to_pylist()
    # only the teacher mismatches were asked (the reference solutions pass math-verify, the boxed answer too)
    assert {v["response_id"]: v["verdict"] for v in verdicts} == {f"{1:024x}": "pass", f"{2:024x}": "fail"}
    assert len(log) == 2
    acceptance = Acceptance(pipeline.resources["judge"])  # type: ignore[arg-type]
    status = {c.response_id: v.status for c, v in assess_source(pipeline.lakehouse, "math", acceptance)}
    assert status[f"{1:024x}"] == ACCEPTED and status[f"{2:024x}"] == REJECTED and status[f"{0:024x}"] == ACCEPTED


@pytest.fixture(scope="module")
def bugged_humaneval(tmp_path_factory) -> tuple[Pipeline, set[str]]:
    """HumanEval with 20 of its existing code traces given a bug in the curated table, then verified."""
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path_factory.mktemp("lakehouse"))))
    pipeline.all(["humaneval"])
    curated = pipeline.lakehouse.read("curated_problems", filter=ds.field("source") == "humaneval")
    rows = curated.to_pylist()
    for row in rows[:20]:
        entry = json.loads(row["test_cases"])["entry_point"]
        head, fence, tail = row["trace_answer"].rpartition("```")
        row["trace_answer"] = f"{head}{entry} = lambda *args, **kwargs: 'bug'\n{fence}{tail}"
    batch = pa.RecordBatch.from_pylist(rows, schema=curated.schema)
    pipeline.lakehouse.replace_partition(
        "curated_problems", [batch], curated.schema, {"source": "humaneval"}, ["source"]
    )
    pipeline.verify("humaneval")
    return pipeline, {row["problem_id"] for row in rows[:20]}


def test_bugged_code_traces_fail_through_response_verdicts(bugged_humaneval):
    pipeline, bugged = bugged_humaneval
    code = pipeline.lakehouse.read(RESPONSE_VERDICTS.name, filter=ds.field("verifier") == "code_sandbox").to_pylist()
    assert len(code) == 164
    failed = {v["problem_id"] for v in code if not v["passed"]}
    assert failed == bugged
    assert {v["verdict"] for v in code if not v["passed"]} <= {"wrong_answer", "runtime_error"}
    assert all(v["score"] < 1.0 for v in code if not v["passed"])
    distilled = pipeline.lakehouse.read(DISTILLED_SAMPLES.name, columns=["problem_id"]).column("problem_id")
    assert len(distilled) == 144 and not bugged & set(distilled.to_pylist())
    gaps = pipeline.lakehouse.read(REJECTIONS.name, filter=ds.field("stage") == "distill").to_pylist()
    assert {g["problem_id"] for g in gaps} == bugged
    assert all(json.loads(g["detail"])["failed"] == {"code_sandbox": 1} for g in gaps)
