"""The verifier registry: what is discovered, adding a verifier and bumping its version (only its verdicts are
computed again), declarations it refuses, and the judge asked once per response and version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pytest
from test_judge import judge_stub
from test_verdict_stability import judge_reply, problem
from test_verification_assets import teacher_row

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.acceptance import ACCEPTED, PENDING, Acceptance, assess_source
from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.registry import (
    Judgement,
    Tools,
    Verifier,
    VerifierRegistry,
    VerifierSettings,
    default_registry,
    discover,
)
from amd_assets.verification.stage import VerifyStage, verdict_row
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource

SOURCE = "pinned"
RULES = ("rule_format", "rule_repetition", "rule_length", "rule_language")


def test_every_verifier_module_is_discovered_in_role_order():
    assert default_registry().names() == [
        "rule_format",
        "rule_repetition",
        "rule_length",
        "rule_language",
        "code_sandbox",
        "judge_rubric",
        "judge_reward",
        "math_verify",
        "math_judge",
    ]


def no_url_rule(version: str) -> Verifier:
    """What a new verifier's module declares: a rule that answers must not carry a URL."""

    def run(candidates: Sequence[Candidate], tools: Tools) -> list[Judgement | None]:
        return [
            Judgement("fail", False, "url", {}, None, 0.0)
            if "http" in c.answer
            else Judgement("pass", True, "ok", {}, None, 0.0)
            for c in candidates
        ]

    return Verifier("rule_no_url", "rule", lambda settings, origin: version, run)


def write_open_problems(lakehouse: LakehouseResource, answers: list[str]) -> None:
    problems = [problem(str(index + 1), "general", f"Question {index}?") for index in range(len(answers))]
    curated = pa.RecordBatch.from_pylist(problems, schema=NORMALIZED_PROBLEMS.schema)
    lakehouse.replace_partition(
        "curated_problems", [curated], NORMALIZED_PROBLEMS.schema, {"source": SOURCE}, ["source"]
    )
    rows = [teacher_row(p, index, answer) for index, (p, answer) in enumerate(zip(problems, answers, strict=True))]
    batch = pa.RecordBatch.from_pylist(rows, schema=TEACHER_RESPONSES.schema)
    lakehouse.append(TEACHER_RESPONSES.name, [batch], TEACHER_RESPONSES.schema, ["source"])


def verify(lakehouse: LakehouseResource, judge: JudgeResource, registry: VerifierRegistry | None = None) -> VerifyStage:
    stage = VerifyStage(lakehouse, SOURCE, None, judge, None, registry=registry or default_registry())
    lakehouse.append(RESPONSE_VERDICTS.name, stage.batches(), RESPONSE_VERDICTS.schema, ["source"])
    return stage


def test_a_new_verifier_is_one_declaration_and_its_version_bump_judges_only_its_verdicts_again(lakehouse):
    write_open_problems(lakehouse, ["Day 1: the castle.", "Day 1: see http://example.invalid"])
    judge = JudgeResource()  # no judge: the open problems wait for one, the rules still run
    first = VerifierRegistry([*discover().verifiers, no_url_rule("1")])

    stage = verify(lakehouse, judge, first)
    assert stage.verdicts["rule_no_url:pass"] == 1 and stage.verdicts["rule_no_url:fail"] == 1
    acceptance = Acceptance(judge, registry=first)
    assert {v.failed for _, v in assess_source(lakehouse, SOURCE, acceptance)} == {(), ("rule_no_url",)}
    current = {(row["origin"], row["verifier"], row["verifier_version"]) for row in acceptance.current_verdicts()}
    assert {("existing", "rule_no_url", "1"), ("teacher", "rule_no_url", "1")} <= current

    bumped = VerifierRegistry([*discover().verifiers, no_url_rule("2")])
    again = verify(lakehouse, judge, bumped)
    assert dict(again.verdicts) == {"rule_no_url:pass": 1, "rule_no_url:fail": 1}
    assert again.skipped == 2 * 4  # the four standard rules of both responses are stored already
    versions = [
        r["verifier_version"] for r in lakehouse.read(RESPONSE_VERDICTS.name).to_pylist() if "url" in r["verifier"]
    ]
    assert sorted(versions) == ["1", "1", "2", "2"]  # the old rows stay for the audit


def declared(name: str, role: Any = "category", **fields: Any) -> Verifier:
    return Verifier(name, role, lambda settings, origin: "1", lambda candidates, tools: [], **fields)


def test_ambiguous_or_dangling_declarations_are_refused():
    with pytest.raises(ValueError, match="declared twice"):
        VerifierRegistry([declared("a"), declared("a")])
    with pytest.raises(ValueError, match="reviews nowhere, which is not registered"):
        VerifierRegistry([declared("b", "second_opinion", reviews=("nowhere", "fail"))])
    with pytest.raises(ValueError, match="names what it reviews"):
        declared("c", "second_opinion")
    general = VerifierRegistry([declared("d", kinds=("open",)), declared("e", kinds=("open",))])
    settings = VerifierSettings(JudgeResource())
    candidate = Candidate("r", "p", "s", "f", 1, "teacher", "science", "q", None, None, None, "a")
    with pytest.raises(ValueError, match=r"2 category verifiers for a open problem: \['d', 'e'\]"):
        general.category_verifier(candidate, settings)
    # a verifier restricted to the problem's category is chosen before a general one
    specific = VerifierRegistry(
        [declared("d", kinds=("open",)), declared("f", kinds=("open",), categories=("science",))]
    )
    assert specific.category_verifier(candidate, settings).name == "f"


def test_the_judge_is_asked_once_per_response_and_version_and_a_placeholder_does_not_hide_it(lakehouse):
    write_open_problems(lakehouse, ["Day 1: the castle.", "Day 1: the aquarium."])
    unconfigured = JudgeResource()
    assert verify(lakehouse, unconfigured).verdicts.keys() == {f"{rule}:pass" for rule in RULES}  # no judge verdict
    # what older runs stored without a judge: `unverified` placeholders (no longer stored)
    acceptance = Acceptance(unconfigured)
    version = unconfigured.verifier_version
    unverified = Judgement("unverified", False, "no judge configured", {}, None, 0.0)
    placeholders = [
        verdict_row(candidate, "judge_rubric", version, unverified)
        for candidate, _ in assess_source(lakehouse, SOURCE, acceptance)
    ]
    batch = pa.RecordBatch.from_pylist(placeholders, schema=RESPONSE_VERDICTS.schema)
    lakehouse.append(RESPONSE_VERDICTS.name, [batch], RESPONSE_VERDICTS.schema, ["source"])
    assert {v.status for _, v in assess_source(lakehouse, SOURCE, acceptance)} == {PENDING}

    with judge_stub([(200, "")], respond=judge_reply) as (url, log):
        # the stub model is called "judge", like the unconfigured default: the placeholders' version
        judge = JudgeResource(base_url=url, request_attempts=2, request_timeout_s=10)
        assert judge.verifier_version == version
        assert verify(lakehouse, judge).verdicts == {"judge_rubric:pass": 2}
        assert len(log) == 2
        assert verify(lakehouse, judge).rows == 0 and len(log) == 2  # stored: never asked again
    assert {v.status for _, v in assess_source(lakehouse, SOURCE, Acceptance(judge))} == {ACCEPTED}
