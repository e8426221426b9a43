"""pandera contract (polars backend) of `teacher_responses`, run batch by batch in its blocking check."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from amd_assets.contracts.schemas import PROBLEM_ID, Lineage
from amd_assets.registry.model import CATEGORIES
from resources.teacher.retry import ERROR_CLASSES

STATUSES = ["ok", "truncated", "failed"]


class TeacherResponses(Lineage):
    response_id: str = pa.Field(str_matches=PROBLEM_ID)
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    origin: str = pa.Field(isin=["teacher"])
    sample_index: pl.Int32 = pa.Field(ge=0)
    category: str = pa.Field(isin=list(CATEGORIES))
    status: str = pa.Field(isin=STATUSES)
    truncated: bool
    text: str = pa.Field(nullable=True)
    reasoning: str = pa.Field(nullable=True)
    think: str = pa.Field(nullable=True)
    answer: str = pa.Field(nullable=True)
    split_method: str = pa.Field(nullable=True, isin=["reasoning_field", "tags", "none"])
    finish_reason: str = pa.Field(nullable=True)
    prompt_tokens: pl.Int64 = pa.Field(nullable=True, ge=0)
    completion_tokens: pl.Int64 = pa.Field(nullable=True, ge=0)
    latency_s: float = pa.Field(ge=0)
    elapsed_s: float = pa.Field(ge=0)
    attempts: pl.Int32 = pa.Field(ge=1)
    error_class: str = pa.Field(nullable=True, isin=list(ERROR_CLASSES))
    error: str = pa.Field(nullable=True)
    retryable: bool = pa.Field(nullable=True)
    backend: str = pa.Field(isin=["openai", "vllm"])
    model: str = pa.Field(str_length={"min_value": 1})
    served_model: str = pa.Field(nullable=True)
    endpoint: str = pa.Field(nullable=True)
    sampling_params: str = pa.Field(str_startswith="{")
    prompt_version: str = pa.Field(str_matches=r"^[0-9a-f]{12}$")
    run_id: str = pa.Field(str_length={"min_value": 1})
    created_at: pl.Datetime(time_unit="us", time_zone="UTC")  # type: ignore[valid-type]

    class Config:
        strict = True

    @pa.dataframe_check
    def truncated_iff_length(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("truncated") == (pl.col("finish_reason") == "length").fill_null(False))

    @pa.dataframe_check
    def status_matches_outcome(cls, data: pa.PolarsData) -> pl.LazyFrame:
        failed = pl.col("status") == "failed"
        return data.lazyframe.select(
            pl.when(failed)
            .then(pl.col("error_class").is_not_null() & pl.col("text").is_null())
            .otherwise(
                pl.col("error_class").is_null()
                & pl.col("text").is_not_null()
                & ((pl.col("status") == "truncated") == pl.col("truncated"))
            )
        )
