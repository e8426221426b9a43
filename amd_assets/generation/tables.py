"""Physical contract of `teacher_responses`: one row per teacher request outcome, appended, never rewritten."""

from __future__ import annotations

import pyarrow as pa

from amd_assets.contracts.tables import LINEAGE_FIELDS, TableContract

TEACHER_RESPONSES = TableContract(
    name="teacher_responses",
    schema=pa.schema(
        [
            pa.field("response_id", pa.string(), nullable=False),
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("origin", pa.string(), nullable=False),
            pa.field("sample_index", pa.int32(), nullable=False),
            pa.field("category", pa.string(), nullable=False),
            # ok | truncated (finish_reason=length: paid for, cut off) | failed (no response; see error_*)
            pa.field("status", pa.string(), nullable=False),
            pa.field("truncated", pa.bool_(), nullable=False),
            pa.field("text", pa.string()),
            pa.field("reasoning", pa.string()),  # the server's reasoning field, when it sends one
            pa.field("think", pa.string()),
            pa.field("answer", pa.string()),
            pa.field("split_method", pa.string()),
            pa.field("finish_reason", pa.string()),
            # cost and speed, joined to verdicts by the audits (cost per accepted sample)
            pa.field("prompt_tokens", pa.int64()),
            pa.field("completion_tokens", pa.int64()),
            pa.field("latency_s", pa.float64(), nullable=False),
            pa.field("elapsed_s", pa.float64(), nullable=False),
            pa.field("attempts", pa.int32(), nullable=False),
            pa.field("error_class", pa.string()),
            pa.field("error", pa.string()),
            pa.field("retryable", pa.bool_()),
            pa.field("backend", pa.string(), nullable=False),
            pa.field("model", pa.string(), nullable=False),
            pa.field("served_model", pa.string()),
            pa.field("endpoint", pa.string()),
            pa.field("sampling_params", pa.string(), nullable=False),
            pa.field("prompt_version", pa.string(), nullable=False),
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("created_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Teacher responses per curated problem and sample index (response_id), appended in checkpoints; "
    "failed requests are rows too (error class, attempts), truncated ones are marked.",
)
