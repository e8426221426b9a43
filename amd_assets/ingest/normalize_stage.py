"""`raw_problems` partition → `normalized_problems` batches, streamed; rows that do not map are quarantined."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
from amd_assets.ingest.batches import BatchBuilder
from amd_assets.ingest.errors import RowError
from amd_assets.ingest.normalize import normalize_record
from amd_assets.ingest.quarantine import QuarantineSink
from amd_assets.registry.model import SourceSpec
from resources.lakehouse import LakehouseResource

LINEAGE = ("problem_id", "source", "source_file", "source_row", "row_key")


@dataclass
class NormalizeStage:
    lakehouse: LakehouseResource
    spec: SourceSpec
    quarantine: QuarantineSink
    rows_in: int = 0
    rows_out: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        builder = BatchBuilder(NORMALIZED_PROBLEMS.schema)
        raw = self.lakehouse.scan(RAW_PROBLEMS.name, filter=ds.field("source") == self.spec.name)
        for batch in raw:
            for row in batch.to_pylist():
                self.rows_in += 1
                try:
                    canonical = normalize_record(self.spec, orjson.loads(row["record"]))
                except RowError as error:
                    self.quarantine.add(
                        row["source_file"], row["source_row"], error.error_type, str(error), row["record"], error.field
                    )
                    continue
                canonical.update({name: row[name] for name in LINEAGE})
                self.rows_out += 1
                out = builder.append(canonical)
                if out is not None:
                    yield out
        rest = builder.flush()
        if rest is not None:
            yield rest
