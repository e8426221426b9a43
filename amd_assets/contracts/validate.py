"""Validate the rows of a Delta table against a contract's pandera schema, streaming record batches.

pandera and polars are imported when a check runs, not when the code location loads (a second of start-up in
every process). A `view` turns each batch into the frame the contract describes (the release's AM record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.contracts.pandera_schema import pandera_schema
from amd_assets.contracts.tables import TableContract
from resources.delta_tables import DeltaTables

if TYPE_CHECKING:
    import polars as pl

FAILURES_KEPT = 20
BATCH_ROWS = 65_536

Flatten = Callable[["pl.DataFrame"], "pl.DataFrame"]


@dataclass
class ValidationReport:
    table: str
    rows: int = 0
    failures: int = 0
    by_check: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, object]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def record(self, check: str, count: int, examples: list[dict[str, object]]) -> None:
        self.failures += count
        self.by_check[check] = self.by_check.get(check, 0) + count
        room = FAILURES_KEPT - len(self.examples)
        self.examples.extend(examples[: max(room, 0)])


def record_failures(report: ValidationReport, errors: Any) -> None:
    """pandera's failure cases grouped by (column, check), with a few examples each."""
    for (column, check), group in errors.failure_cases.group_by(["column", "check"]):
        examples = group.head(3).select(["column", "check", "failure_case", "index"]).to_dicts()
        report.record(f"{column}: {check}", group.height, [{"table": report.table, **e} for e in examples])


def validate_rows(
    tables: DeltaTables,
    table: str,
    contract: TableContract,
    where: ds.Expression | None,
    unique: str | None = None,
    view: Flatten | None = None,
) -> ValidationReport:
    """`contract` over the rows of `table` matching `where` (through `view` if given), batch by batch; `unique`
    names a column that must not repeat."""
    import pandera.errors
    import polars as pl

    schema = pandera_schema(contract)
    report = ValidationReport(table)
    for batch in tables.scan(table, filter=where, batch_size=BATCH_ROWS):
        report.rows += batch.num_rows
        frame = cast(pl.DataFrame, pl.from_arrow(batch))  # a record batch becomes a DataFrame
        try:
            schema.validate(view(frame) if view else frame, lazy=True)
        except pandera.errors.SchemaErrors as errors:
            record_failures(report, errors)
    if unique and report.rows:
        values = tables.read(table, columns=[unique], filter=where).column(unique)
        duplicates = report.rows - pc.count_distinct(values).as_py()
        if duplicates:
            report.record(f"{unique}: unique", duplicates, [{"table": table, "column": unique}])
    return report
