"""The quarantine side-table: malformed rows with file, line, error and raw text, replaced per (source, stage)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from amd_assets.contracts.tables import QUARANTINE
from amd_assets.ingest.batches import SpillFile
from resources.lakehouse import LakehouseResource

RAW_TEXT_LIMIT = 2000
EXAMPLES_KEPT = 5


def truncate(text: str, limit: int = RAW_TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def readable(raw: bytes | str) -> str:
    """Bytes as text with undecodable bytes shown as \\xNN, so the quarantine row shows what was wrong."""
    return raw if isinstance(raw, str) else raw.decode("utf-8", "backslashreplace")


class QuarantineSink:
    def __init__(self, source: str, stage: str):
        self.source = source
        self.stage = stage
        self.counts: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []
        self._spill = SpillFile(QUARANTINE.schema)

    @property
    def total(self) -> int:
        return self._spill.rows

    def add(
        self,
        source_file: str,
        source_row: int,
        error_type: str,
        error: str,
        raw_text: bytes | str,
        field: str | None = None,
    ) -> None:
        row = {
            "source": self.source,
            "source_file": source_file,
            "source_row": source_row,
            "stage": self.stage,
            "error_type": error_type,
            "field": field,
            "error": truncate(error, 500),
            "raw_text": truncate(readable(raw_text)),
        }
        self.counts[error_type] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(row)
        self._spill.append(row)

    def write(self, lakehouse: LakehouseResource) -> int:
        """Replace this (source, stage) partition, also when empty, so fixed rows leave the quarantine."""
        return lakehouse.replace_partition(
            QUARANTINE.name,
            self._spill.batches(),
            QUARANTINE.schema,
            {"source": self.source, "stage": self.stage},
            QUARANTINE.partition_by,
        )

    def markdown(self) -> str:
        if not self.examples:
            return "_nothing quarantined_"
        lines = ["| file | line | error type | field | error |", "|---|---|---|---|---|"]
        for row in self.examples:
            error = row["error"].replace("|", "\\|").replace("\n", " ")[:160]
            lines.append(
                f"| {row['source_file']} | {row['source_row']} | {row['error_type']} | {row['field'] or ''} | {error} |"
            )
        return "\n".join(lines)
