"""Feed a Python batch producer to the delta-rs writer through a thread and a bounded queue.

delta-rs pulls a RecordBatchReader from inside its async runtime; a producer that itself touches delta-rs
(reading another table while writing this one) would panic there ("cannot start a runtime from within a
runtime"). Running the producer in its own thread keeps it free to do anything, the bounded queue keeps
memory at a few batches, and the producer's own exception is kept so the caller sees what really failed.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import cast

import pyarrow as pa
import pyarrow.compute as pc


class PartitionMismatchError(ValueError):
    """A batch carried rows outside the partition that was being replaced."""


_END = object()


class ProducedStream:
    def __init__(
        self,
        batches: Iterable[pa.RecordBatch],
        schema: pa.Schema,
        partition: Mapping[str, str] | None = None,
        depth: int = 4,
    ):
        self.batches = batches
        self.schema = schema
        self.partition = dict(partition or {})
        self.error: BaseException | None = None
        self.rows = 0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="amd-batch-producer", daemon=True)

    def reader(self) -> pa.RecordBatchReader:
        self._thread.start()
        return pa.RecordBatchReader.from_batches(self.schema, self._consume())

    def close(self) -> None:
        """Stop the producer (the writer may have given up early) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _produce(self) -> None:
        try:
            for batch in self.batches:
                batch = self._conform(batch)
                self.rows += batch.num_rows
                if not self._put(batch):
                    return
        except BaseException as error:
            self.error = error
        finally:
            self._put(_END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _consume(self) -> Iterator[pa.RecordBatch]:
        while True:
            item = self._queue.get()
            if item is _END:
                if self.error is not None:
                    raise RuntimeError(f"batch producer failed: {self.error!r}")
                return
            yield cast(pa.RecordBatch, item)  # everything put but _END is a batch

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not batch.schema.equals(self.schema):
            batch = batch.select(self.schema.names).cast(self.schema)
        for column, value in self.partition.items():
            values = batch.column(column)
            inside = pc.equal(values, value)
            if not pc.all(inside).as_py():
                outside = pc.unique(pc.filter(values, pc.invert(inside))).to_pylist()
                raise PartitionMismatchError(
                    f"batch for partition {column}={value!r} carries rows with {column} in {outside[:5]}"
                )
        return batch
