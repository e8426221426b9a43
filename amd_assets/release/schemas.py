"""The flattened view of a release row that the `am_format` gate validates against `AM_RECORD`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """One column per thing the AM format promises, so each is a plain column check."""
    import polars as pl

    messages = pl.col("messages")
    user, assistant = messages.list.get(0, null_on_oob=True), messages.list.get(1, null_on_oob=True)
    return frame.select(
        "release_version",
        "problem_id",
        "response_id",
        "source",
        "source_file",
        "source_row",
        "origin",
        "category",
        "difficulty",
        "language",
        "score",
        turns=messages.list.len(),
        user_role=user.struct.field("role"),
        user_content=user.struct.field("content"),
        user_info_source=user.struct.field("info").struct.field("source"),
        assistant_role=assistant.struct.field("role"),
        assistant_content=assistant.struct.field("content"),
        answer_content=assistant.struct.field("info").struct.field("answer_content"),
        verdict_count=pl.col("verdicts").list.len(),
    )
