"""Contracts of the verification stage's tables: verdicts, the distilled samples, the verifier versions used."""

from amd_assets.contracts.columns import (
    ACCEPTED_SCORE,
    BOOL,
    CATEGORY,
    FLOAT64,
    JSON_OBJECT,
    LINEAGE,
    NOT_EMPTY,
    ORIGIN,
    PROBLEM_ID_COLUMN,
    RESPONSE_ID_COLUMN,
    SHARE,
    STRING,
    UTC_TIMESTAMP,
    at_least,
    optional,
    required,
)
from amd_assets.contracts.tables import TableContract

VERIFIER = required(
    "verifier", STRING, "The verifier (math_verify, code_sandbox, judge_rubric, rule_format, ...).", NOT_EMPTY
)
VERIFIER_VERSION = required(
    "verifier_version", STRING, "Its version: verdicts of several versions stay side by side.", NOT_EMPTY
)
JUDGED_BY = (ORIGIN, VERIFIER, VERIFIER_VERSION)  # which verifier, at which version, for which kind of response

RESPONSE_VERDICTS = TableContract(
    name="response_verdicts",
    columns=(
        RESPONSE_ID_COLUMN,
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        *JUDGED_BY,
        required(
            "verdict", STRING, "pass, mismatch, wrong_answer, time_limit, fail, ... (the verifier's words).", NOT_EMPTY
        ),
        required("passed", BOOL, "Whether the verdict passes the response."),
        optional(
            "score",
            FLOAT64,
            "The verifier's score in [0, 1] (pass rate of tests, judge score), when it has one.",
            *SHARE,
        ),
        required("reason", STRING, "Why, in a few words."),
        required(
            "detail", STRING, "The evidence as JSON (extracted answer, failed test, judge scores, ...).", JSON_OBJECT
        ),
        required("duration_s", FLOAT64, "Seconds the verifier took.", at_least(0)),
    ),
    description="One row per (response, verifier, verifier version): verdict, score, reason, detail, duration. "
    "Append-only, so verdicts of an older verifier version stay auditable next to the new ones.",
    may_be_missing=True,
)

DISTILLED_SAMPLES = TableContract(
    name="distilled_samples",
    columns=(
        PROBLEM_ID_COLUMN,
        RESPONSE_ID_COLUMN,
        *LINEAGE,
        ORIGIN,
        CATEGORY,
        required("prompt", STRING, "The problem statement."),
        optional("reference_answer", STRING, "The reference answer, when known."),
        optional("test_cases", STRING, "The test cases as JSON, for code."),
        optional("think", STRING, "The accepted response's reasoning."),
        required("answer", STRING, "The accepted response's answer.", NOT_EMPTY),
        ACCEPTED_SCORE,
        required("verdicts", STRING, "Every verdict of the response, as JSON.", JSON_OBJECT),
    ),
    description="One accepted response per problem (all rules and its category verifier passed, current versions).",
    may_be_missing=True,
)

VERIFIER_VERSIONS = TableContract(
    name="verifier_versions",
    columns=(
        LINEAGE[0],  # the source the run verified
        *JUDGED_BY,
        required("run_id", STRING, "The verification run."),
        required("recorded_at", UTC_TIMESTAMP, "When the run recorded it."),
    ),
    description="The verifier versions each `response_verdicts` run of a source judged with (the registry's current "
    "ones): which of two versions is the newer, for the audit of what an upgrade changed.",
    written_by=("response_verdicts",),
    may_be_missing=True,
)
