"""Release files: JSONL (zstd) in the AM format and Parquet with the RELEASE_ROWS schema, sharded by row count.

Rows arrive as record batches and leave batch by batch: a release of any size never sits in memory as Python
objects, only one batch of it does.
"""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from amd_assets.release.tables import RELEASE_ROWS

# The paper's two parts: existing traces that were verified, and newly distilled teacher responses.
SPLITS = {"existing": "existing_traces", "teacher": "distilled"}
USER_INFO = ("source", "reference_answer", "test_case")
ASSISTANT_INFO = ("source", "think_content", "answer_content")
OWN_COLUMNS = (
    "problem_id",
    "response_id",
    "source",
    "source_file",
    "source_row",
    "origin",
    "category",
    "subcategory",
    "difficulty",
    "language",
    "model",
    "score",
    "verdicts",
)


def am_record(row: dict[str, Any]) -> dict[str, Any]:
    """One release row as the JSONL record users load: each turn carries only its own `info` keys."""
    user, assistant = row["messages"]
    messages = [
        {"role": user["role"], "content": user["content"], "info": {k: user["info"][k] for k in USER_INFO}},
        {
            "role": assistant["role"],
            "content": assistant["content"],
            "info": {k: assistant["info"][k] for k in ASSISTANT_INFO},
        },
    ]
    return {"messages": messages, **{column: row[column] for column in OWN_COLUMNS}}


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _slices(batches: Iterable[pa.RecordBatch], cap: int) -> Iterator[tuple[int, pa.RecordBatch]]:
    """(shard index, batch) with every batch cut so no shard exceeds `cap` rows."""
    shard, in_shard = 0, 0
    for batch in batches:
        offset = 0
        while offset < batch.num_rows:
            if in_shard == cap:
                shard, in_shard = shard + 1, 0
            take = min(cap - in_shard, batch.num_rows - offset)
            yield shard, batch.slice(offset, take)
            offset += take
            in_shard += take


@dataclass
class SplitWriter:
    """Writes one split's shards under `folder`; `files` maps each relative path to its row count."""

    folder: Path
    split: str
    rows_per_shard: int
    files: dict[str, int] = field(default_factory=dict)

    def write(self, batches: Iterable[pa.RecordBatch]) -> int:
        parquet: pq.ParquetWriter | None = None
        jsonl: pa.CompressedOutputStream | None = None
        current = -1
        total = 0
        try:
            for shard, batch in _slices(batches, self.rows_per_shard):
                if shard != current:
                    for handle in (parquet, jsonl):
                        if handle is not None:
                            handle.close()
                    parquet, jsonl = self._open(shard)
                    current = shard
                parquet.write_batch(batch)
                jsonl.write(b"".join(orjson.dumps(am_record(row)) + b"\n" for row in batch.to_pylist()))
                for name in self._names(shard):
                    self.files[name] = self.files.get(name, 0) + batch.num_rows
                total += batch.num_rows
        finally:
            for handle in (parquet, jsonl):
                if handle is not None:
                    handle.close()
        return total

    def _names(self, shard: int) -> tuple[str, str]:
        stem = f"{self.split}-{shard:05d}"
        return f"parquet/{stem}.parquet", f"jsonl/{stem}.jsonl.zst"

    def _open(self, shard: int) -> tuple[pq.ParquetWriter, pa.CompressedOutputStream]:
        parquet_name, jsonl_name = self._names(shard)
        for name in (parquet_name, jsonl_name):
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        parquet = pq.ParquetWriter(self.folder / parquet_name, RELEASE_ROWS.schema, compression="zstd")
        return parquet, pa.CompressedOutputStream(str(self.folder / jsonl_name), "zstd")
