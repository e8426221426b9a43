"""Physical contracts of the lakehouse tables: Arrow schema, partition columns, purpose.

Lineage columns (`source`, `source_file`, `source_row`) are carried by every table from raw to release so a
row can always be traced to the input line it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class TableContract:
    name: str
    schema: pa.Schema
    partition_by: list[str]
    description: str


LINEAGE_FIELDS = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
]

RAW_PROBLEMS = TableContract(
    name="raw_problems",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("row_key", pa.string(), nullable=False),
            pa.field("record", pa.string(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Every well-formed input row as its original JSON object, keyed by a stable problem_id.",
)

NORMALIZED_PROBLEMS = TableContract(
    name="normalized_problems",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("row_key", pa.string(), nullable=False),
            pa.field("category", pa.string(), nullable=False),
            pa.field("subcategory", pa.string()),
            pa.field("difficulty", pa.string()),
            pa.field("language", pa.string(), nullable=False),
            pa.field("prompt", pa.string(), nullable=False),
            pa.field("reference_answer", pa.string()),
            pa.field("test_cases", pa.string()),
            pa.field("num_test_cases", pa.int32(), nullable=False),
            pa.field("trace_think", pa.string()),
            pa.field("trace_answer", pa.string()),
            pa.field("trace_origin", pa.string()),
            pa.field("trace_model", pa.string()),
            pa.field("metadata", pa.string(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Rows mapped onto the canonical problem: prompt, reference answer, tests, existing trace.",
)

QUARANTINE = TableContract(
    name="quarantine",
    schema=pa.schema(
        [
            *LINEAGE_FIELDS,
            pa.field("stage", pa.string(), nullable=False),
            pa.field("error_type", pa.string(), nullable=False),
            pa.field("field", pa.string()),
            pa.field("error", pa.string(), nullable=False),
            pa.field("raw_text", pa.string(), nullable=False),
        ]
    ),
    partition_by=["source", "stage"],
    description="Malformed input rows with file, line, the error and the raw text (truncated); never dropped.",
)

FILTERED_PROBLEMS = TableContract(
    name="filtered_problems",
    schema=NORMALIZED_PROBLEMS.schema,
    partition_by=["source"],
    description="Normalized problems that pass the quality rules (URLs, figures, tables, odd characters, length).",
)

DECONTAMINATED_PROBLEMS = TableContract(
    name="decontaminated_problems",
    schema=NORMALIZED_PROBLEMS.schema,
    partition_by=["source"],
    description="Filtered problems sharing no word n-gram with any registered benchmark item.",
)

CURATED_PROBLEMS = TableContract(
    name="curated_problems",
    schema=pa.schema(
        [
            *NORMALIZED_PROBLEMS.schema,
            pa.field("category_origin", pa.string(), nullable=False),
            pa.field("difficulty_origin", pa.string(), nullable=False),
            pa.field("duplicates_merged", pa.int32(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Dedup survivors with category and difficulty labels (difficulty 'unlabeled' when unknown).",
)

PROBLEM_SIGNATURES = TableContract(
    name="problem_signatures",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("text_hash", pa.string(), nullable=False),
            pa.field("minhash", pa.binary(), nullable=False),
            pa.field("minhash_config", pa.string(), nullable=False),
            pa.field("has_reference", pa.bool_(), nullable=False),
            pa.field("has_trace", pa.bool_(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Per-problem exact-text hash and MinHash signature, cached by text hash across re-runs.",
)

DEDUP_DECISIONS = TableContract(
    name="dedup_decisions",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("kept_problem_id", pa.string(), nullable=False),
            pa.field("kept_source", pa.string(), nullable=False),
            pa.field("is_kept", pa.bool_(), nullable=False),
            pa.field("reason", pa.string()),
            pa.field("similarity", pa.float64()),
            pa.field("cluster_size", pa.int32(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="One row per problem across all sources: its duplicate cluster's kept problem and why.",
)

REJECTIONS = TableContract(
    name="rejections",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("stage", pa.string(), nullable=False),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("detail", pa.string(), nullable=False),
        ]
    ),
    partition_by=["source", "stage"],
    description="Every row a curation stage drops, with (stage, reason, detail): the funnel is one SQL query.",
)

PROBLEM_EMBEDDINGS = TableContract(
    name="problem_embeddings",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("text_hash", pa.string(), nullable=False),
            pa.field("model", pa.string(), nullable=False),
            pa.field("dim", pa.int32(), nullable=False),
            pa.field("embedding", pa.binary(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="Unit-length float16 embedding per (problem, model key `backend:model@dim`), cached by text hash; "
    "each model's rows are kept when another model is used.",
)

SEMANTIC_DEDUP_DECISIONS = TableContract(
    name="semantic_dedup_decisions",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("kept_problem_id", pa.string(), nullable=False),
            pa.field("kept_source", pa.string(), nullable=False),
            pa.field("is_kept", pa.bool_(), nullable=False),
            pa.field("similarity", pa.float64()),
            pa.field("cluster_size", pa.int32(), nullable=False),
            pa.field("model", pa.string(), nullable=False),
            pa.field("threshold", pa.float64(), nullable=False),
            pa.field("dedup_version", pa.int64(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="One row per exact/MinHash dedup survivor: its embedding-similarity cluster's kept problem, the "
    "cosine to it, the model and threshold, and the dedup_decisions version it was computed from.",
)

TABLES = {
    contract.name: contract
    for contract in (
        RAW_PROBLEMS,
        NORMALIZED_PROBLEMS,
        QUARANTINE,
        FILTERED_PROBLEMS,
        DECONTAMINATED_PROBLEMS,
        PROBLEM_SIGNATURES,
        DEDUP_DECISIONS,
        CURATED_PROBLEMS,
        REJECTIONS,
        PROBLEM_EMBEDDINGS,
        SEMANTIC_DEDUP_DECISIONS,
    )
}
