"""Source files → `raw_problems` rows: the original JSON object of each well-formed row, under a stable id.

`problem_id` is a hash of (source, row key): the row key is the mapped id field, or `file:line` when the
source has none, so re-ingesting the same file gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from amd_assets.batches import BatchBuilder
from amd_assets.contracts.tables import RAW_PROBLEMS
from amd_assets.ingest.errors import RowError
from amd_assets.ingest.readers import ReadStats, read_source_file
from amd_assets.records import MISSING, get_path
from amd_assets.registry import SourceRegistry
from amd_assets.sinks import QuarantineSink


def problem_id(source: str, row_key: str) -> str:
    return hashlib.blake2b(f"{source}\x1f{row_key}".encode(), digest_size=12).hexdigest()


def row_key(record: dict[str, Any], id_paths: list[str], source_file: str, line: int) -> str:
    if not id_paths:
        return f"{source_file}:{line}"
    parts = []
    for path in id_paths:
        value = get_path(record, path)
        if value is MISSING or value is None:
            raise RowError("missing_field", path, f"id field {path!r} is missing")
        if isinstance(value, bool) or not isinstance(value, str | int):
            kind = type(value).__name__
            raise RowError("wrong_type", path, f"id field {path!r} must be a string or integer, got {kind}")
        parts.append(str(value))
    return "/".join(parts)


@dataclass
class RawIngest:
    """One pass over a source's files; `batches()` streams raw rows, malformed ones go to `quarantine`."""

    registry: SourceRegistry
    source: str
    quarantine: QuarantineSink
    stats: ReadStats = field(default_factory=ReadStats)
    rows_out: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        spec = self.registry.get(self.source)
        builder = BatchBuilder(RAW_PROBLEMS.schema)
        id_paths = spec.fields.id_paths()
        id_field = ",".join(id_paths) or None
        # Where each row key was first seen, packed as (file index << 40 | line): duplicate keys would collide
        # on problem_id, and a dict of small ints keeps 1.4M keys in ~100 MB.
        first_seen: dict[int, int] = {}
        displays: list[str] = []
        for file_index, file in enumerate(self.registry.files(self.source)):
            display = self.registry.display_path(file)
            displays.append(display)
            fmt, compression = self.registry.file_format(self.source, file)
            for row in read_source_file(file, fmt, compression, self.stats):
                if row.record is None:
                    self.quarantine.add(display, row.row, row.error_type or "unreadable", row.error or "", row.text)
                    continue
                try:
                    key = row_key(row.record, id_paths, display, row.row)
                except RowError as error:
                    self.quarantine.add(display, row.row, error.error_type, str(error), row.text, id_field)
                    continue
                pid = problem_id(self.source, key)
                digest = int(pid[:16], 16)
                if digest in first_seen:
                    where = first_seen[digest]
                    message = f"row key {key!r} already used at {displays[where >> 40]}:{where & (1 << 40) - 1}"
                    self.quarantine.add(display, row.row, "duplicate_key", message, row.text, id_field)
                    continue
                first_seen[digest] = file_index << 40 | row.row
                self.rows_out += 1
                batch = builder.append(
                    {
                        "problem_id": pid,
                        "source": self.source,
                        "source_file": display,
                        "source_row": row.row,
                        "row_key": key,
                        "record": row.text.decode("utf-8"),
                    }
                )
                if batch is not None:
                    yield batch
        rest = builder.flush()
        if rest is not None:
            yield rest
