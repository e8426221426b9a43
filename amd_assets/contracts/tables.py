"""Table contracts: each lakehouse table declared once, with its columns, partitions, writers and rules.

A `TableContract` is the single declaration of a table; the Arrow schema, the pandera schema of its blocking
check, its dbt source entry and its place in the catalogue are derived from it. This module holds the ingest
and curation tables; a stage with tables of its own declares them in its `tables` module (generation,
verification, release) and `amd_assets.contracts.catalogue` lists them all. Lineage columns (`source`,
`source_file`, `source_row`) are carried from raw to release, so any row can be traced to its input line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa

from amd_assets.contracts.columns import (
    BINARY,
    BOOL,
    CATEGORY,
    FLOAT64,
    INT32,
    INT64,
    JSON_OBJECT,
    LANGUAGE_CODE,
    LINEAGE,
    NOT_EMPTY,
    PROBLEM_ID,
    PROBLEM_ID_COLUMN,
    STRING,
    TEXT_HASH,
    Column,
    above,
    at_least,
    at_most,
    matches,
    one_of,
    optional,
    required,
    starts_with,
)
from amd_assets.registry.model import DIFFICULTIES

QUARANTINE_STAGES = ("read", "normalize")  # the two steps of ingest (raw_problems, normalized_problems)
ERROR_TYPES = (
    "bad_json",
    "invalid_utf8",
    "not_an_object",
    "wrong_field_count",
    "missing_field",
    "wrong_type",
    "bad_value",
    "duplicate_key",
)
REJECTION_STAGES = ("filter", "decontaminate", "dedup", "curate", "distill")
DEDUP_REASONS = ("exact_duplicate", "near_duplicate")


@dataclass(frozen=True, eq=False)  # one object per table: compared and hashed by identity
class TableContract:
    """A Delta table (or, with no `writers`, a view of one that a check validates)."""

    name: str
    columns: tuple[Column, ...]
    description: str
    partition_by: list[str] = field(default_factory=lambda: ["source"])  # most tables hold one partition per source
    # The Dagster assets writing it (`writers`), when not the one asset named like the table; () for a view.
    written_by: tuple[str, ...] | None = None
    may_be_missing: bool = False  # a stage that has not run yet: read as an empty table (dbt, `amd sql`)
    row_rules: tuple[str, ...] = ()  # names in amd_assets.contracts.row_rules
    strict: bool = True  # no column beyond the declared ones

    @property
    def writers(self) -> tuple[str, ...]:
        """The Dagster assets writing it: its lineage in dbt and the UI."""
        return (self.name,) if self.written_by is None else self.written_by

    @cached_property
    def schema(self) -> pa.Schema:
        return pa.schema([column.field() for column in self.columns])

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def columns_of(contract: TableContract, *names: str) -> tuple[Column, ...]:
    return tuple(contract.column(name) for name in names)


ROW_KEY = required("row_key", STRING, "The source's id field(s) of the row, or `file:line`.", NOT_EMPTY)

RAW_PROBLEMS = TableContract(
    name="raw_problems",
    columns=(
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        ROW_KEY,
        required("record", STRING, "The input row as its original JSON object.", JSON_OBJECT),
    ),
    description="Every well-formed input row as its original JSON object, keyed by a stable problem_id.",
)

PROBLEM_FIELDS = (
    PROBLEM_ID_COLUMN,
    *LINEAGE,
    ROW_KEY,
    CATEGORY,
    optional("subcategory", STRING, "A finer label (information seeking, reasoning, planning, ...), when known."),
    optional("difficulty", STRING, "very easy .. very hard, from the source's mapping.", one_of(*DIFFICULTIES)),
    required("language", STRING, "ISO 639 code of the prompt's language.", matches(LANGUAGE_CODE)),
    required("prompt", STRING, "The problem statement, as the user turn shows it."),
    optional("reference_answer", STRING, "The reference answer math-verify compares against, when known."),
    optional("test_cases", STRING, "The test cases as JSON ({kind, cases, ...}), for code.", starts_with('{"kind":')),
    required("num_test_cases", INT32, "How many test cases test_cases holds (0 without tests).", at_least(0)),
    optional("trace_think", STRING, "The existing trace's reasoning (<think> part), when the source has one."),
    optional("trace_answer", STRING, "The existing trace's answer (<answer> part), when the source has one."),
    optional("trace_origin", STRING, "existing when the source ships a trace.", one_of("existing")),
    optional("trace_model", STRING, "The model that wrote the existing trace, when the source says."),
    required("metadata", STRING, "Every input field the mapping did not use, as JSON.", JSON_OBJECT),
)
PROBLEM_ROW_RULES = ("trace_origin_iff_answer", "tests_counted")


def problem_stage(name: str, description: str) -> TableContract:
    """A stage that passes canonical problems on: every problem field and its row rules, per source."""
    return TableContract(name=name, columns=PROBLEM_FIELDS, description=description, row_rules=PROBLEM_ROW_RULES)


NORMALIZED_PROBLEMS = problem_stage(
    "normalized_problems",
    "Rows mapped onto the canonical problem: prompt, reference answer, tests, existing trace.",
)

QUARANTINE = TableContract(
    name="quarantine",
    columns=(
        *LINEAGE,
        required(
            "stage",
            STRING,
            "Where the row was set aside: read (reading the file) or normalize (mapping the fields).",
            one_of(*QUARANTINE_STAGES),
        ),
        required(
            "error_type", STRING, "What was wrong (bad_json, invalid_utf8, missing_field, ...).", one_of(*ERROR_TYPES)
        ),
        optional("field", STRING, "The field the error is about, when one is."),
        required("error", STRING, "The error message, naming file, line and field.", NOT_EMPTY),
        required("raw_text", STRING, "The raw input line (truncated to 2,000 characters)."),
    ),
    partition_by=["source", "stage"],
    description="Malformed input rows with file, line, the error and the raw text (truncated); never dropped.",
    written_by=("raw_problems", "normalized_problems"),
)

FILTERED_PROBLEMS = problem_stage(
    "filtered_problems",
    "Normalized problems that pass the quality rules (URLs, figures, tables, odd characters, length).",
)

DECONTAMINATED_PROBLEMS = problem_stage(
    "decontaminated_problems",
    "Filtered problems that match no registered benchmark item (n-gram and embedding rules).",
)

CURATED_PROBLEMS = TableContract(
    name="curated_problems",
    columns=(
        *(
            column.but(rules=(one_of(*DIFFICULTIES, "unlabeled"),), description="very easy .. very hard, or unlabeled.")
            if column.name == "difficulty"
            else column
            for column in PROBLEM_FIELDS
        ),
        required(
            "category_origin", STRING, "Where the category came from: source or labeler.", one_of("source", "labeler")
        ),
        required(
            "difficulty_origin",
            STRING,
            "Where the difficulty came from: source, labeler, or unlabeled.",
            one_of("source", "labeler", "unlabeled"),
        ),
        required("duplicates_merged", INT32, "Other problems dedup dropped in favour of this one.", at_least(0)),
    ),
    description="Dedup survivors with category and difficulty labels (difficulty 'unlabeled' when unknown).",
    # The column stays nullable in Arrow (the table's schema since its first write); curation always labels it.
    row_rules=(*PROBLEM_ROW_RULES, "difficulty_is_labelled"),
)

PROBLEM_SIGNATURES = TableContract(
    name="problem_signatures",
    columns=(
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        required(
            "text_hash", STRING, "Hash of the normalized prompt text (exact duplicates share it).", matches(TEXT_HASH)
        ),
        required("minhash", BINARY, "The MinHash signature of the prompt's word shingles."),
        required("minhash_config", STRING, "The MinHash settings the signature was computed with."),
        required("has_reference", BOOL, "Whether the problem has a reference answer or tests."),
        required("has_trace", BOOL, "Whether the problem has an existing trace."),
    ),
    description="Per-problem exact-text hash and MinHash signature, cached by text hash across re-runs.",
)

KEPT_PROBLEM = (
    PROBLEM_ID_COLUMN,
    required("source", STRING, "The problem's source."),
    required("kept_problem_id", STRING, "The problem its cluster keeps (itself when kept).", matches(PROBLEM_ID)),
    required("kept_source", STRING, "The kept problem's source."),
    required("is_kept", BOOL, "Whether this problem survives."),
)

DEDUP_DECISIONS = TableContract(
    name="dedup_decisions",
    columns=(
        *KEPT_PROBLEM,
        optional("reason", STRING, "Why it was dropped (null when kept).", one_of(*DEDUP_REASONS)),
        optional(
            "similarity",
            FLOAT64,
            "Estimated Jaccard similarity to the kept problem (near duplicates).",
            at_least(0),
            at_most(1),
        ),
        required("cluster_size", INT32, "Problems in its duplicate cluster.", at_least(1)),
    ),
    description="One row per problem across all sources: its duplicate cluster's kept problem and why.",
    row_rules=("dedup_kept_rows_point_at_themselves",),
)

REJECTIONS = TableContract(
    name="rejections",
    columns=(
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        required("stage", STRING, "The stage that dropped the problem.", one_of(*REJECTION_STAGES)),
        required("reason", STRING, "Why (too_short, benchmark_ngram, near_duplicate, no_response, ...).", NOT_EMPTY),
        required(
            "detail",
            STRING,
            "The evidence as JSON (the benchmark item, the kept problem, the verifiers, ...).",
            JSON_OBJECT,
        ),
    ),
    partition_by=["source", "stage"],
    description="Every row a curation stage drops, with (stage, reason, detail): the funnel is one SQL query.",
    written_by=(
        "filtered_problems",
        "decontaminated_problems",
        "dedup_decisions",
        "semantic_dedup_decisions",
        "curated_problems",
        "distilled_samples",
    ),
)

PROBLEM_EMBEDDINGS = TableContract(
    name="problem_embeddings",
    columns=(
        PROBLEM_ID_COLUMN,
        *LINEAGE,
        required("text_hash", STRING, "Hash of the embedded text: the cache key with the model.", matches(TEXT_HASH)),
        required("model", STRING, "The embedding model key backend:model@dim.", matches(r"^[a-z0-9_]+:.+@[0-9]+$")),
        required("dim", INT32, "Dimensions of the vector.", above(0)),
        required("embedding", BINARY, "The unit-length vector as float16 bytes."),
    ),
    description="Unit-length float16 embedding per (problem, model key `backend:model@dim`), cached by text hash; "
    "each model's rows are kept when another model is used.",
    may_be_missing=True,
    row_rules=("two_bytes_per_dimension",),
)

SEMANTIC_DEDUP_DECISIONS = TableContract(
    name="semantic_dedup_decisions",
    columns=(
        *KEPT_PROBLEM,
        optional(
            "similarity", FLOAT64, "Cosine to the kept problem (null when kept).", at_least(-1.001), at_most(1.001)
        ),
        required("cluster_size", INT32, "Problems merged into the kept one, itself included.", at_least(1)),
        required("model", STRING, "The embedding model key.", NOT_EMPTY),
        required("threshold", FLOAT64, "The cosine threshold the decision used.", above(0), at_most(1)),
        required(
            "dedup_version", INT64, "The dedup_decisions Delta version the survivors were read from.", at_least(0)
        ),
    ),
    description="One row per exact/MinHash dedup survivor: its embedding-similarity cluster's kept problem, the "
    "cosine to it, the model and threshold, and the dedup_decisions version it was computed from.",
    may_be_missing=True,
    row_rules=("semantic_kept_rows_point_at_themselves",),
)

CORE_TABLES = (
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
