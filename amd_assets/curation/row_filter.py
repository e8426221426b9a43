"""A per-source stage that keeps or rejects rows of its input table, batch by batch.

Rows pass through as Arrow (no Python round trip for the columns the rule does not read); each rejected
row goes to the `rejections` table with the stage, the reason and a detail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import TableContract
from amd_assets.sinks import RejectionSink
from resources.lakehouse import LakehouseResource

Verdict = tuple[str, dict[str, Any]] | None
LINEAGE = ["problem_id", "source_file", "source_row"]


@dataclass
class RowFilterStage:
    lakehouse: LakehouseResource
    source: str
    upstream: TableContract
    rejections: RejectionSink
    decide: Callable[[list[dict[str, Any]]], list[Verdict]]
    reads: list[str]
    rows_in: int = 0
    rows_out: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        columns = list(dict.fromkeys([*LINEAGE, *self.reads]))
        for batch in self.lakehouse.scan(self.upstream.name, filter=ds.field("source") == self.source):
            rows = batch.select(columns).to_pylist()
            verdicts = self.decide(rows)
            kept = []
            for index, verdict in enumerate(verdicts):
                if verdict is None:
                    kept.append(index)
                else:
                    self.rejections.add(rows[index], verdict[0], verdict[1])
            self.rows_in += batch.num_rows
            self.rows_out += len(kept)
            if kept:
                yield batch.take(pa.array(kept, pa.int64()))
