"""pandera contracts (polars backend) for each table; run batch by batch inside blocking asset checks."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from amd_assets.registry.model import CATEGORIES, DIFFICULTIES

PROBLEM_ID = r"^[0-9a-f]{24}$"
ERROR_TYPES = [
    "bad_json",
    "invalid_utf8",
    "not_an_object",
    "wrong_field_count",
    "missing_field",
    "wrong_type",
    "bad_value",
    "duplicate_key",
]


class Lineage(pa.DataFrameModel):
    source: str = pa.Field(str_matches=r"^[a-z0-9][a-z0-9_\-]*$")
    source_file: str = pa.Field(str_length={"min_value": 1})
    source_row: int = pa.Field(ge=1)


class RawProblems(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    row_key: str = pa.Field(str_length={"min_value": 1})
    record: str = pa.Field(str_startswith="{")

    class Config:
        strict = True


class NormalizedProblems(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    row_key: str = pa.Field(str_length={"min_value": 1})
    category: str = pa.Field(isin=list(CATEGORIES))
    subcategory: str = pa.Field(nullable=True)
    difficulty: str = pa.Field(nullable=True, isin=list(DIFFICULTIES))
    language: str = pa.Field(str_matches=r"^[a-z]{2,3}$")
    prompt: str
    reference_answer: str = pa.Field(nullable=True)
    test_cases: str = pa.Field(nullable=True, str_startswith='{"kind":')
    num_test_cases: pl.Int32 = pa.Field(ge=0)
    trace_think: str = pa.Field(nullable=True)
    trace_answer: str = pa.Field(nullable=True)
    trace_origin: str = pa.Field(nullable=True, isin=["existing"])
    trace_model: str = pa.Field(nullable=True)
    metadata: str = pa.Field(str_startswith="{")

    class Config:
        strict = True

    @pa.dataframe_check
    def trace_origin_iff_answer(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("trace_origin").is_null() == pl.col("trace_answer").is_null())

    @pa.dataframe_check
    def tests_counted(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("test_cases").is_not_null() | (pl.col("num_test_cases") == 0))


class QuarantineRows(Lineage):
    stage: str = pa.Field(isin=["raw", "normalize"])
    error_type: str = pa.Field(isin=ERROR_TYPES)
    field: str = pa.Field(nullable=True)
    error: str = pa.Field(str_length={"min_value": 1})
    raw_text: str

    class Config:
        strict = True


class CuratedProblems(NormalizedProblems):
    difficulty: str = pa.Field(isin=[*DIFFICULTIES, "unlabeled"])
    category_origin: str = pa.Field(isin=["source", "labeler"])
    difficulty_origin: str = pa.Field(isin=["source", "labeler", "unlabeled"])
    duplicates_merged: pl.Int32 = pa.Field(ge=0)

    class Config:
        strict = True


class ProblemSignatures(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    text_hash: str = pa.Field(str_matches=r"^[0-9a-f]{16}$")
    minhash: pl.Binary
    minhash_config: str
    has_reference: bool
    has_trace: bool

    class Config:
        strict = True


class DedupDecisions(pa.DataFrameModel):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    source: str
    kept_problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    kept_source: str
    is_kept: bool
    reason: str = pa.Field(nullable=True, isin=["exact_duplicate", "near_duplicate"])
    similarity: float = pa.Field(nullable=True, ge=0, le=1)
    cluster_size: pl.Int32 = pa.Field(ge=1)

    class Config:
        strict = True

    @pa.dataframe_check
    def kept_rows_point_at_themselves(cls, data: pa.PolarsData) -> pl.LazyFrame:
        same = pl.col("kept_problem_id") == pl.col("problem_id")
        return data.lazyframe.select((pl.col("is_kept") == same) & (pl.col("is_kept") == pl.col("reason").is_null()))


class RejectionRows(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    stage: str = pa.Field(isin=["filter", "decontaminate", "dedup", "curate", "distill"])
    reason: str = pa.Field(str_length={"min_value": 1})
    detail: str = pa.Field(str_startswith="{")

    class Config:
        strict = True


class ResponseVerdicts(Lineage):
    response_id: str = pa.Field(str_matches=PROBLEM_ID)
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    origin: str = pa.Field(isin=["existing", "teacher"])
    verifier: str = pa.Field(str_length={"min_value": 1})
    verifier_version: str = pa.Field(str_length={"min_value": 1})
    verdict: str = pa.Field(str_length={"min_value": 1})
    passed: bool
    score: float = pa.Field(nullable=True, ge=0, le=1)
    reason: str
    detail: str = pa.Field(str_startswith="{")
    duration_s: float = pa.Field(ge=0)

    class Config:
        strict = True


class DistilledSamples(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    response_id: str = pa.Field(str_matches=PROBLEM_ID)
    origin: str = pa.Field(isin=["existing", "teacher"])
    category: str = pa.Field(isin=list(CATEGORIES))
    prompt: str
    reference_answer: str = pa.Field(nullable=True)
    test_cases: str = pa.Field(nullable=True)
    think: str = pa.Field(nullable=True)
    answer: str = pa.Field(str_length={"min_value": 1})
    score: float = pa.Field(nullable=True, ge=0, le=1)
    verdicts: str = pa.Field(str_startswith="{")

    class Config:
        strict = True


class ProblemEmbeddings(Lineage):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    text_hash: str = pa.Field(str_matches=r"^[0-9a-f]{16}$")
    model: str = pa.Field(str_matches=r"^[a-z0-9_]+:.+@[0-9]+$")
    dim: pl.Int32 = pa.Field(gt=0)
    embedding: pl.Binary

    class Config:
        strict = True

    @pa.dataframe_check
    def two_bytes_per_dimension(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("embedding").bin.size() == pl.col("dim") * 2)


class SemanticDedupDecisions(pa.DataFrameModel):
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    source: str
    kept_problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    kept_source: str
    is_kept: bool
    similarity: float = pa.Field(nullable=True, ge=-1.001, le=1.001)
    cluster_size: pl.Int32 = pa.Field(ge=1)
    model: str = pa.Field(str_length={"min_value": 1})
    threshold: float = pa.Field(gt=0, le=1)
    dedup_version: int = pa.Field(ge=0)

    class Config:
        strict = True

    @pa.dataframe_check
    def kept_rows_point_at_themselves(cls, data: pa.PolarsData) -> pl.LazyFrame:
        same = pl.col("kept_problem_id") == pl.col("problem_id")
        return data.lazyframe.select(
            (pl.col("is_kept") == same) & (pl.col("is_kept") == pl.col("similarity").is_null())
        )
