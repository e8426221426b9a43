"""Row rules: what a contract promises about several columns of one row, one polars expression each.

A contract names its row rules (`TableContract.row_rules`); the pandera schema turns each into a dataframe check.
A rule is a function returning a boolean polars expression that is true for every valid row. polars is imported
when a rule is built, i.e. when a check runs, never when the code location loads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def trace_origin_iff_answer() -> pl.Expr:
    """An existing trace has an answer, and an answer comes with its origin."""
    import polars as pl

    return pl.col("trace_origin").is_null() == pl.col("trace_answer").is_null()


def tests_counted() -> pl.Expr:
    import polars as pl

    return pl.col("test_cases").is_not_null() | (pl.col("num_test_cases") == 0)


def difficulty_is_labelled() -> pl.Expr:
    import polars as pl

    return pl.col("difficulty").is_not_null()


def dedup_kept_rows_point_at_themselves() -> pl.Expr:
    """A kept problem is its own kept problem and has no drop reason; a dropped one has both others."""
    import polars as pl

    same = pl.col("kept_problem_id") == pl.col("problem_id")
    return (pl.col("is_kept") == same) & (pl.col("is_kept") == pl.col("reason").is_null())


def semantic_kept_rows_point_at_themselves() -> pl.Expr:
    import polars as pl

    same = pl.col("kept_problem_id") == pl.col("problem_id")
    return (pl.col("is_kept") == same) & (pl.col("is_kept") == pl.col("similarity").is_null())


def two_bytes_per_dimension() -> pl.Expr:
    import polars as pl

    return pl.col("embedding").bin.size() == pl.col("dim") * 2


def truncated_iff_length() -> pl.Expr:
    import polars as pl

    return pl.col("truncated") == (pl.col("finish_reason") == "length").fill_null(False)


def status_matches_outcome() -> pl.Expr:
    """A failed request has an error and no text; any other has text, no error, and `truncated` as its status."""
    import polars as pl

    failed = pl.col("status") == "failed"
    answered = (
        pl.col("error_class").is_null()
        & pl.col("text").is_not_null()
        & ((pl.col("status") == "truncated") == pl.col("truncated"))
    )
    return pl.when(failed).then(pl.col("error_class").is_not_null() & pl.col("text").is_null()).otherwise(answered)


def info_source_is_the_source() -> pl.Expr:
    import polars as pl

    return pl.col("user_info_source") == pl.col("source")


ROW_RULES: dict[str, Callable[[], pl.Expr]] = {
    rule.__name__: rule
    for rule in (
        trace_origin_iff_answer,
        tests_counted,
        difficulty_is_labelled,
        dedup_kept_rows_point_at_themselves,
        semantic_kept_rows_point_at_themselves,
        two_bytes_per_dimension,
        truncated_iff_length,
        status_matches_outcome,
        info_source_is_the_source,
    )
}
