"""Contracts of the release: `release_rows` (the AM-format record plus our own columns, one row per released
sample) and the flattened view of it the `am_format` gate validates.

`messages` is the record users load (design §1). Parquet and Delta need one struct type for both turns, so
`info` carries the union of the user turn's fields (source, reference_answer, test_case) and the assistant
turn's (source, think_content, answer_content); the JSONL files write each turn with only its own keys.
"""

import pyarrow as pa

from amd_assets.contracts.columns import (
    ACCEPTED_SCORE,
    CATEGORY,
    INT64,
    LANGUAGE_CODE,
    LINEAGE,
    NOT_EMPTY,
    ORIGIN,
    PROBLEM_ID_COLUMN,
    RESPONSE_ID_COLUMN,
    STRING,
    at_least,
    equals,
    matches,
    one_of,
    optional,
    required,
)
from amd_assets.contracts.tables import TableContract
from amd_assets.registry.model import DIFFICULTIES

MESSAGE_INFO = pa.struct(
    [
        pa.field("source", pa.string()),
        pa.field("reference_answer", pa.string()),
        pa.field("test_case", pa.string()),
        pa.field("think_content", pa.string()),
        pa.field("answer_content", pa.string()),
    ]
)
MESSAGE = pa.struct(
    [
        pa.field("role", pa.string(), nullable=False),
        pa.field("content", pa.string(), nullable=False),
        pa.field("info", MESSAGE_INFO),
    ]
)
VERDICT = pa.struct(
    [
        pa.field("verifier", pa.string(), nullable=False),
        pa.field("verifier_version", pa.string(), nullable=False),
        pa.field("verdict", pa.string(), nullable=False),
        pa.field("score", pa.float64()),
    ]
)
RELEASE_VERSION = required("release_version", STRING, "The release version (its partition).", NOT_EMPTY)
DIFFICULTY = required("difficulty", STRING, "very easy .. very hard, or unlabeled.", one_of(*DIFFICULTIES, "unlabeled"))
LANGUAGE = required("language", STRING, "ISO 639 code of the prompt's language.", matches(LANGUAGE_CODE))
# The leading columns of a release row, in the table and in its AM-record view alike.
RELEASED_SAMPLE = (RELEASE_VERSION, PROBLEM_ID_COLUMN, RESPONSE_ID_COLUMN, *LINEAGE, ORIGIN, CATEGORY)

RELEASE_ROWS = TableContract(
    name="release_rows",
    columns=(
        *RELEASED_SAMPLE,
        optional("subcategory", STRING, "A finer label, when known."),
        DIFFICULTY,
        LANGUAGE,
        optional("model", STRING, "The teacher model; null for existing traces."),
        required("messages", pa.list_(MESSAGE), "The AM record: the user turn, then the assistant turn, with info."),
        ACCEPTED_SCORE,
        required(
            "verdicts", pa.list_(VERDICT), "Every verdict the response passed: verifier, version, verdict, score."
        ),
        required("response_chars", INT64, "Characters of the assistant turn.", at_least(0)),
        optional("completion_tokens", INT64, "Completion tokens the teacher reported; null for existing traces."),
    ),
    partition_by=["release_version"],
    description="Every released sample of every release version: the AM record, its verdicts and its lineage.",
    may_be_missing=True,
)

# `<think>…</think>` then `<answer>…</answer>`, nothing around them (dotall: the sections span lines).
ASSISTANT_FORMAT = r"(?s)^<think>\n.*\n</think>\n<answer>\n.+\n</answer>$"
UINT32 = pa.uint32()

# What the AM format promises of a release row, one column each (amd_assets.release.schemas.flatten builds it).
AM_RECORD = TableContract(
    name="release_rows (AM record)",
    columns=(
        *RELEASED_SAMPLE,
        DIFFICULTY,
        LANGUAGE,
        ACCEPTED_SCORE,
        required("turns", UINT32, "Turns in messages: user then assistant.", equals(2)),
        required("user_role", STRING, "The first turn's role.", equals("user")),
        required("user_content", STRING, "The problem.", NOT_EMPTY),
        required("user_info_source", STRING, "The user turn's info.source."),
        required("assistant_role", STRING, "The second turn's role.", equals("assistant")),
        required("assistant_content", STRING, "<think>…</think> then <answer>…</answer>.", matches(ASSISTANT_FORMAT)),
        required("answer_content", STRING, "The assistant turn's info.answer_content.", NOT_EMPTY),
        required("verdict_count", UINT32, "Verdicts the sample carries.", at_least(1)),
    ),
    description="The AM record of a release row, flattened: one column per promise of the format.",
    partition_by=[],
    written_by=(),
    row_rules=("info_source_is_the_source",),
)
