"""`raw_problems` partition → `normalized_problems` batches, streamed; rows that do not map are quarantined."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
from amd_assets.ingest.errors import RowError
from amd_assets.ingest.normalize import mapped_paths, normalize_record
from amd_assets.registry.model import SourceSpec
from amd_assets.sinks import QuarantineSink
from resources.lakehouse import LakehouseResource

LINEAGE = ["problem_id", "source", "source_file", "source_row", "row_key"]
CANONICAL = [name for name in NORMALIZED_PROBLEMS.schema.names if name not in LINEAGE]


@dataclass
class NormalizeStage:
    lakehouse: LakehouseResource
    spec: SourceSpec
    quarantine: QuarantineSink
    rows_in: int = 0
    rows_out: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        """One output batch per raw batch: lineage columns are carried over as Arrow, only the mapping is Python."""
        mapped = mapped_paths(self.spec)
        raw = self.lakehouse.scan(RAW_PROBLEMS.name, filter=ds.field("source") == self.spec.name)
        for batch in raw:
            kept: list[int] = []
            rows: list[dict[str, object]] = []
            for index, text in enumerate(batch.column("record").to_pylist()):
                try:
                    rows.append(normalize_record(self.spec, orjson.loads(text), mapped))
                except RowError as error:
                    where = batch.slice(index, 1).select(["source_file", "source_row"]).to_pylist()[0]
                    self.quarantine.add(
                        where["source_file"], where["source_row"], error.error_type, str(error), text, error.field
                    )
                    continue
                kept.append(index)
            self.rows_in += batch.num_rows
            self.rows_out += len(kept)
            if not kept:
                continue
            lineage = batch.select(LINEAGE).take(pa.array(kept, pa.int64()))
            columns = {name: lineage.column(name) for name in LINEAGE}
            columns.update({name: [row[name] for row in rows] for name in CANONICAL})
            yield pa.RecordBatch.from_pydict(columns, schema=NORMALIZED_PROBLEMS.schema)
