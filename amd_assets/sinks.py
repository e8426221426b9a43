"""Side tables a stage writes next to its output: the quarantine (malformed input) and the rejections (rows
a curation rule dropped). Rows spill to disk while the stage streams, then replace the stage's partition of
the side table in one commit — also when empty, so rows that are fixed leave it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import orjson

from amd_assets.batches import SpillFile
from amd_assets.contracts.tables import QUARANTINE, REJECTIONS, TableContract
from resources.lakehouse import LakehouseResource

RAW_TEXT_LIMIT = 2000
EXAMPLES_KEPT = 5


def truncate(text: str, limit: int = RAW_TEXT_LIMIT) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"


def readable(raw: bytes | str) -> str:
    """Bytes as text with undecodable bytes shown as \\xNN, so the row shows what was wrong."""
    return raw if isinstance(raw, str) else raw.decode("utf-8", "backslashreplace")


def _markdown_cell(value: object) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")[:160]


class PartitionSink:
    """Rows for one (source, stage) partition of a side table, counted by `count_key`."""

    contract: TableContract
    count_key: str
    preview_columns: tuple[str, ...]

    def __init__(self, source: str, stage: str):
        self.source = source
        self.stage = stage
        self.counts: Counter[str] = Counter()
        self.examples: list[dict[str, Any]] = []
        self._spill = SpillFile(self.contract.schema)

    @property
    def total(self) -> int:
        return self._spill.rows

    def _append(self, row: dict[str, Any]) -> None:
        self.counts[row[self.count_key]] += 1
        if len(self.examples) < EXAMPLES_KEPT:
            self.examples.append(row)
        self._spill.append(row)

    def write(self, lakehouse: LakehouseResource) -> int:
        return lakehouse.replace_partition(
            self.contract.name,
            self._spill.batches(),
            self.contract.schema,
            {"source": self.source, "stage": self.stage},
            self.contract.partition_by,
        )

    def markdown(self) -> str:
        if not self.examples:
            return f"_nothing in {self.contract.name}_"
        lines = ["| " + " | ".join(self.preview_columns) + " |", "|" + "---|" * len(self.preview_columns)]
        for row in self.examples:
            lines.append("| " + " | ".join(_markdown_cell(row[column]) for column in self.preview_columns) + " |")
        return "\n".join(lines)


class QuarantineSink(PartitionSink):
    contract = QUARANTINE
    count_key = "error_type"
    preview_columns = ("source_file", "source_row", "error_type", "field", "error")

    def add(
        self,
        source_file: str,
        source_row: int,
        error_type: str,
        error: str,
        raw_text: bytes | str,
        field: str | None = None,
    ) -> None:
        self._append(
            {
                "source": self.source,
                "source_file": source_file,
                "source_row": source_row,
                "stage": self.stage,
                "error_type": error_type,
                "field": field,
                "error": truncate(error, 500),
                "raw_text": truncate(readable(raw_text)),
            }
        )


class RejectionSink(PartitionSink):
    contract = REJECTIONS
    count_key = "reason"
    preview_columns = ("problem_id", "source_file", "source_row", "reason", "detail")

    def add(self, problem: dict[str, Any], reason: str, detail: dict[str, Any]) -> None:
        """`problem` needs problem_id and the lineage columns; `detail` is stored as JSON."""
        self._append(
            {
                "problem_id": problem["problem_id"],
                "source": self.source,
                "source_file": problem["source_file"],
                "source_row": problem["source_row"],
                "stage": self.stage,
                "reason": reason,
                "detail": truncate(orjson.dumps(detail, option=orjson.OPT_SORT_KEYS).decode(), 1000),
            }
        )
