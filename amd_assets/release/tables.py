"""Table contract of the release: the AM-format record plus our own columns, one row per released sample.

`messages` is the record users load (design §1). Parquet and Delta need one struct type for both turns, so
`info` carries the union of the user turn's fields (source, reference_answer, test_case) and the assistant
turn's (source, think_content, answer_content); the JSONL files write each turn with only its own keys.
"""

import pyarrow as pa

from amd_assets.contracts.tables import LINEAGE_FIELDS, TableContract

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

RELEASE_ROWS = TableContract(
    name="release_rows",
    schema=pa.schema(
        [
            pa.field("release_version", pa.string(), nullable=False),
            pa.field("problem_id", pa.string(), nullable=False),
            pa.field("response_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("origin", pa.string(), nullable=False),  # "existing" trace or "teacher" (newly distilled)
            pa.field("category", pa.string(), nullable=False),
            pa.field("subcategory", pa.string()),
            pa.field("difficulty", pa.string(), nullable=False),
            pa.field("language", pa.string(), nullable=False),
            pa.field("model", pa.string()),  # the teacher model; null for existing traces
            pa.field("messages", pa.list_(MESSAGE), nullable=False),
            pa.field("score", pa.float64()),
            pa.field("verdicts", pa.list_(VERDICT), nullable=False),
            pa.field("response_chars", pa.int64(), nullable=False),
            pa.field("completion_tokens", pa.int64()),
        ]
    ),
    partition_by=["release_version"],
    description="Every released sample of every release version: the AM record, its verdicts and its lineage.",
)
