"""pandera contract of a release row in the AM format, on a flattened view of the nested `messages`."""

import pandera.polars as pa
import polars as pl

from amd_assets.contracts.schemas import PROBLEM_ID, Lineage
from amd_assets.registry.model import CATEGORIES, DIFFICULTIES

# `<think>…</think>` then `<answer>…</answer>`, nothing around them (dotall: the sections span lines).
ASSISTANT_FORMAT = r"(?s)^<think>\n.*\n</think>\n<answer>\n.+\n</answer>$"


def flatten(frame: pl.DataFrame) -> pl.DataFrame:
    """One column per thing the AM format promises, so each is a plain pandera column check."""
    messages = pl.col("messages")
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
        user_role=messages.list.get(0, null_on_oob=True).struct.field("role"),
        user_content=messages.list.get(0, null_on_oob=True).struct.field("content"),
        user_info_source=messages.list.get(0, null_on_oob=True).struct.field("info").struct.field("source"),
        assistant_role=messages.list.get(1, null_on_oob=True).struct.field("role"),
        assistant_content=messages.list.get(1, null_on_oob=True).struct.field("content"),
        answer_content=messages.list.get(1, null_on_oob=True).struct.field("info").struct.field("answer_content"),
        verdict_count=pl.col("verdicts").list.len(),
    )


class ReleaseRecord(Lineage):
    release_version: str = pa.Field(str_length={"min_value": 1})
    problem_id: str = pa.Field(str_matches=PROBLEM_ID)
    response_id: str = pa.Field(str_matches=PROBLEM_ID)
    origin: str = pa.Field(isin=["existing", "teacher"])
    category: str = pa.Field(isin=list(CATEGORIES))
    difficulty: str = pa.Field(isin=[*DIFFICULTIES, "unlabeled"])
    language: str = pa.Field(str_matches=r"^[a-z]{2,3}$")
    score: float = pa.Field(nullable=True, ge=0, le=1)
    turns: pl.UInt32 = pa.Field(eq=2)
    user_role: str = pa.Field(eq="user")
    user_content: str = pa.Field(str_length={"min_value": 1})
    user_info_source: str
    assistant_role: str = pa.Field(eq="assistant")
    assistant_content: str = pa.Field(str_matches=ASSISTANT_FORMAT)
    answer_content: str = pa.Field(str_length={"min_value": 1})
    verdict_count: pl.UInt32 = pa.Field(ge=1)

    class Config:
        strict = True

    @pa.dataframe_check
    def info_source_is_the_source(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("user_info_source") == pl.col("source"))
