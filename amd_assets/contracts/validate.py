"""Validate one partition of a Delta table against its pandera contract, streaming record batches.

pandera and polars are imported when a check runs, not when the code location loads (they cost a second of
start-up in every process). Models are named by reference ("module.Class", or a class of
`amd_assets.contracts.schemas`) so declaring a check imports neither.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow.compute as pc
import pyarrow.dataset as ds

from resources.lakehouse import LakehouseResource

if TYPE_CHECKING:
    import pandera.polars as pa

FAILURES_KEPT = 20
DEFAULT_SCHEMAS = "amd_assets.contracts.schemas"


def pandera_model(reference: str) -> type[pa.DataFrameModel]:
    """The pandera model named "module.Class" (a bare class name is looked up in the contracts' schemas)."""
    module, _, name = reference.rpartition(".")
    return getattr(importlib.import_module(module or DEFAULT_SCHEMAS), name)


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


def validate_partition(
    lakehouse: LakehouseResource,
    table: str,
    model: str,
    where: ds.Expression | None,
    unique: str | None = None,
) -> ValidationReport:
    """`model` (a `pandera_model` reference) over the rows of `table` matching `where`, batch by batch."""
    import pandera.errors
    import polars as pl

    schema = pandera_model(model)
    report = ValidationReport(table)
    for batch in lakehouse.scan(table, filter=where, batch_size=65_536):
        report.rows += batch.num_rows
        try:
            schema.validate(pl.from_arrow(batch), lazy=True)  # type: ignore[arg-type]
        except pandera.errors.SchemaErrors as errors:
            cases = errors.failure_cases
            for (column, check), group in cases.group_by(["column", "check"]):
                examples = group.head(3).select(["column", "check", "failure_case", "index"]).to_dicts()
                report.record(f"{column}: {check}", group.height, [{"table": table, **e} for e in examples])
    if unique and report.rows:
        values = lakehouse.read(table, columns=[unique], filter=where).column(unique)
        duplicates = report.rows - pc.count_distinct(values).as_py()
        if duplicates:
            report.record(f"{unique}: unique", duplicates, [{"table": table, "column": unique}])
    return report
