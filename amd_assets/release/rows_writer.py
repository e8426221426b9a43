"""The version's `release_rows` partition, written by a thread while the release files are written.

delta-rs holds everything one write receives in memory when a column is a list of structs of long strings
(`messages`; measured ~11 KB per row, growing with the release), so the partition is replaced by the first
chunk of COMMIT_ROWS rows and the rest appended: memory stays flat at any release size. The commits run in their
own thread, fed through a short queue, so delta-rs encodes and compresses while the main thread queries DuckDB
and writes the files (both release the GIL); the rows are never read back from the staged files. A reader during
the write can see part of the version; the folder is published, and the gates run, only after the last commit.
"""

from __future__ import annotations

import queue
import threading
from typing import cast

import pyarrow as pa

from amd_assets.release.tables import RELEASE_ROWS
from resources.lakehouse import LakehouseResource

COMMIT_ROWS = 16_384
_END = object()


class ReleaseRowsWriter:
    def __init__(self, lakehouse: LakehouseResource, version: str, commit_rows: int = COMMIT_ROWS) -> None:
        self.lakehouse, self.version, self.commit_rows = lakehouse, version, commit_rows
        self.delta_version = -1
        self.error: BaseException | None = None
        self._chunk: list[pa.RecordBatch] = []
        self._rows = 0
        self._commits = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._thread = threading.Thread(target=self._run, name="amd-release-rows", daemon=True)
        self._thread.start()

    def put(self, batch: pa.RecordBatch) -> None:
        """Queue a batch of RELEASE_ROWS columns; a full chunk goes to the writer thread."""
        self._chunk.append(batch.select(RELEASE_ROWS.schema.names).cast(RELEASE_ROWS.schema))
        self._rows += batch.num_rows
        if self._rows >= self.commit_rows:
            self._send(self._chunk)
            self._chunk, self._rows = [], 0

    def close(self) -> int:
        """Commit what is left and wait for the thread; returns the last Delta version (raises the thread's
        error). A release without rows still replaces its partition, with nothing."""
        if self._chunk or self._commits == 0:
            self._send(self._chunk)
        self._send(_END)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.delta_version

    def abort(self) -> None:
        """Stop the thread without committing the rest (the release failed)."""
        self._send(_END)
        self._thread.join()

    def _send(self, item: object) -> None:
        if item is not _END:
            if self.error is not None:
                raise self.error
            self._commits += 1
        self._queue.put(item)  # never blocks for good: the thread takes items until _END, even after an error

    def _run(self) -> None:
        first = True
        while (chunk := self._queue.get()) is not _END:
            if self.error is not None:
                continue  # drain: the main thread learns of the error at its next send or at close
            try:
                self.delta_version = self._commit(cast(list[pa.RecordBatch], chunk), first)  # all but _END are chunks
                first = False
            except BaseException as error:
                self.error = error

    def _commit(self, chunk: list[pa.RecordBatch], first: bool) -> int:
        schema, partition_by = RELEASE_ROWS.schema, RELEASE_ROWS.partition_by
        if first:
            partition = {"release_version": self.version}
            return self.lakehouse.replace_partition(RELEASE_ROWS.name, chunk, schema, partition, partition_by)
        return self.lakehouse.append(RELEASE_ROWS.name, chunk, schema, partition_by)
