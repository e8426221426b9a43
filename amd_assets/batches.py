"""Row-to-Arrow batching and disk spill, so stages stream bounded batches instead of whole partitions."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

BATCH_ROWS = 8192


class BatchBuilder:
    """Collects rows as columns and hands out a record batch every `size` rows."""

    def __init__(self, schema: pa.Schema, size: int = BATCH_ROWS):
        self.schema = schema
        self.size = size
        self._columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self._rows = 0

    def __len__(self) -> int:
        return self._rows

    def append(self, row: dict[str, Any]) -> pa.RecordBatch | None:
        for name, values in self._columns.items():
            values.append(row.get(name))
        self._rows += 1
        return self.flush() if self._rows >= self.size else None

    def flush(self) -> pa.RecordBatch | None:
        if not self._rows:
            return None
        batch = pa.RecordBatch.from_pydict(self._columns, schema=self.schema)
        self._columns = {name: [] for name in self.schema.names}
        self._rows = 0
        return batch


class SpillFile:
    """Arrow IPC stream on a temporary file: side outputs (quarantine rows) stay off the heap until written."""

    def __init__(self, schema: pa.Schema, size: int = BATCH_ROWS):
        self.schema = schema
        self.rows = 0
        self._builder = BatchBuilder(schema, size)
        self._file = tempfile.TemporaryFile(prefix="amd-spill-")  # noqa: SIM115 (closed after batches() is read)
        self._writer: pa.ipc.RecordBatchStreamWriter | None = pa.ipc.new_stream(self._file, schema)

    def append(self, row: dict[str, Any]) -> None:
        self.rows += 1
        batch = self._builder.append(row)
        if batch is not None and self._writer is not None:
            self._writer.write_batch(batch)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """Close for writing and stream everything back; call once."""
        if self._writer is None:
            raise RuntimeError("spill file already read")
        rest = self._builder.flush()
        if rest is not None:
            self._writer.write_batch(rest)
        self._writer.close()
        self._writer = None
        self._file.seek(0)
        try:
            yield from pa.ipc.open_stream(self._file)
        finally:
            self._file.close()

    def close(self) -> None:
        self._file.close()
