"""Release files: JSONL (zstd) in the AM format and Parquet with the RELEASE_ROWS schema, sharded by row count.

Rows arrive as record batches and leave batch by batch: a release of any size never sits in memory, only one
batch of it does. The JSONL lines come ready-made from DuckDB (`am_json`, see release_rows.sql): a file is the
bytes of its rows' lines, written without turning a row into Python objects.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from amd_assets.release.tables import RELEASE_ROWS

# The paper's two parts: existing traces that were verified, and newly distilled teacher responses.
SPLITS = {"existing": "existing_traces", "teacher": "distilled"}
# The keys of a JSONL record (what release_rows.sql's `am_json` writes): each turn's own info keys, our columns.
USER_INFO = ("source", "reference_answer", "test_case")
ASSISTANT_INFO = ("source", "think_content", "answer_content")
# Our columns: the release row's, but for what the record or the table carries elsewhere.
OWN_COLUMNS = tuple(
    name
    for name in RELEASE_ROWS.schema.names
    if name not in ("release_version", "messages", "response_chars", "completion_tokens")
)
JSON_COLUMN = "am_json"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def string_bytes(array: pa.Array) -> pa.Buffer:
    """The values of a string array without nulls, concatenated: a slice of its data buffer, no copy."""
    if array.null_count:
        raise ValueError("string_bytes needs an array without nulls")
    _, offsets_buffer, data = array.buffers()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=width)[array.offset : array.offset + len(array) + 1]
    start, end = int(offsets[0]), int(offsets[-1])
    return data.slice(start, end - start) if data is not None else pa.py_buffer(b"")


@dataclass
class SplitWriter:
    """Writes one split's shards under `folder`, batch by batch; `files` maps each relative path to its rows.

    A batch carries the RELEASE_ROWS columns and `am_json` (its JSONL lines). A shard holds `rows_per_shard` rows;
    batches are cut at shard boundaries. `close` ends the last shard."""

    folder: Path
    split: str
    rows_per_shard: int
    files: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    _parquet: pq.ParquetWriter | None = None
    _jsonl: pa.CompressedOutputStream | None = None

    def write(self, batch: pa.RecordBatch) -> None:
        offset = 0
        while offset < batch.num_rows:
            in_shard = self.rows % self.rows_per_shard
            if in_shard == 0:
                self._open(self.rows // self.rows_per_shard)
            take = min(self.rows_per_shard - in_shard, batch.num_rows - offset)
            self._write(batch.slice(offset, take), self.rows // self.rows_per_shard)
            offset += take

    def close(self) -> None:
        for handle in (self._parquet, self._jsonl):
            if handle is not None:
                handle.close()
        self._parquet = self._jsonl = None

    def _write(self, part: pa.RecordBatch, shard: int) -> None:
        assert self._parquet is not None and self._jsonl is not None
        self._parquet.write_batch(part.select(RELEASE_ROWS.schema.names).cast(RELEASE_ROWS.schema))
        self._jsonl.write(string_bytes(part.column(JSON_COLUMN)))
        for name in self._names(shard):
            self.files[name] = self.files.get(name, 0) + part.num_rows
        self.rows += part.num_rows

    def _names(self, shard: int) -> tuple[str, str]:
        stem = f"{self.split}-{shard:05d}"
        return f"parquet/{stem}.parquet", f"jsonl/{stem}.jsonl.zst"

    def _open(self, shard: int) -> None:
        self.close()
        parquet_name, jsonl_name = self._names(shard)
        for name in (parquet_name, jsonl_name):
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        self._parquet = pq.ParquetWriter(self.folder / parquet_name, RELEASE_ROWS.schema, compression="zstd")
        self._jsonl = pa.CompressedOutputStream(str(self.folder / jsonl_name), "zstd")
