"""Contract of `teacher_responses`: one row per teacher request outcome, appended, never rewritten."""

from __future__ import annotations

from amd_assets.contracts.columns import (
    BOOL,
    FLOAT64,
    INT32,
    INT64,
    JSON_OBJECT,
    LINEAGE,
    NOT_EMPTY,
    PROBLEM_ID_COLUMN,
    RESPONSE_ID_COLUMN,
    STRING,
    UTC_TIMESTAMP,
    at_least,
    matches,
    one_of,
    optional,
    required,
)
from amd_assets.contracts.tables import TableContract
from amd_assets.registry.model import CATEGORIES
from resources.teacher.retry import ERROR_CLASSES

STATUSES = ("ok", "truncated", "failed")

TEACHER_RESPONSES = TableContract(
    name="teacher_responses",
    columns=(
        RESPONSE_ID_COLUMN,
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        required("origin", STRING, "Always teacher.", one_of("teacher")),
        required("sample_index", INT32, "Which sample of the problem (0, 1, ...) this request was.", at_least(0)),
        required("category", STRING, "The problem's category (selects the prompt template).", one_of(*CATEGORIES)),
        required(
            "status",
            STRING,
            "ok, truncated (finish_reason=length: paid for, cut off) or failed (no response; see error_*).",
            one_of(*STATUSES),
        ),
        required("truncated", BOOL, "Whether the response was cut at max_tokens."),
        optional("text", STRING, "The response text as returned."),
        optional("reasoning", STRING, "The server's reasoning field, when it sends one (--reasoning-parser)."),
        optional("think", STRING, "The reasoning part the response was split into."),
        optional("answer", STRING, "The answer part the response was split into."),
        optional(
            "split_method",
            STRING,
            "How think/answer were split: reasoning_field, tags or none.",
            one_of("reasoning_field", "tags", "none"),
        ),
        optional("finish_reason", STRING, "The server's finish reason (stop, length, ...)."),
        optional("prompt_tokens", INT64, "Prompt tokens the server reported.", at_least(0)),
        optional("completion_tokens", INT64, "Completion tokens the server reported.", at_least(0)),
        required("latency_s", FLOAT64, "Seconds of the successful attempt.", at_least(0)),
        required("elapsed_s", FLOAT64, "Seconds over all attempts, backoff included.", at_least(0)),
        required("attempts", INT32, "Attempts made (the first included).", at_least(1)),
        optional(
            "error_class", STRING, "Why a failed request failed (rate_limited, timeout, ...).", one_of(*ERROR_CLASSES)
        ),
        optional("error", STRING, "The last error message of a failed request."),
        optional("retryable", BOOL, "Whether a later run asks again for a failed request."),
        required(
            "backend", STRING, "openai (any OpenAI-compatible server) or vllm (in-process).", one_of("openai", "vllm")
        ),
        required("model", STRING, "The model asked.", NOT_EMPTY),
        optional("served_model", STRING, "The model the server says answered."),
        optional("endpoint", STRING, "The server URL that answered."),
        required("sampling_params", STRING, "temperature, top_p, max_tokens, ... as JSON.", JSON_OBJECT),
        required("prompt_version", STRING, "Hash of the prompt templates used.", matches(r"^[0-9a-f]{12}$")),
        required("run_id", STRING, "The Dagster run that made the request.", NOT_EMPTY),
        required("created_at", UTC_TIMESTAMP, "When the outcome was recorded."),
    ),
    description="Teacher responses per curated problem and sample index (response_id), appended in checkpoints; "
    "failed requests are rows too (error class, attempts), truncated ones are marked.",
    may_be_missing=True,
    row_rules=("truncated_iff_length", "status_matches_outcome"),
)
