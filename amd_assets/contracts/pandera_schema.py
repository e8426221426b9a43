"""The pandera schema (polars backend) of a table contract: dtypes and nullability from its columns, value
rules as column checks, row rules as dataframe checks. Built when a check runs (pandera and polars are heavy
imports) and cached per contract."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa

from amd_assets.contracts.row_rules import ROW_RULES
from amd_assets.contracts.tables import TableContract

if TYPE_CHECKING:
    import pandera.polars as pandera


def polars_dtype(arrow_type: pa.DataType) -> Any:
    """The polars dtype a batch of `arrow_type` becomes in `pl.from_arrow`."""
    import polars as pl

    return cast(pl.Series, pl.from_arrow(pa.array([], type=arrow_type))).dtype  # an array becomes a Series


def row_check(name: str) -> Any:
    import pandera.polars as pandera

    rule = ROW_RULES[name]
    return pandera.Check(lambda data: data.lazyframe.select(rule()), name=name)


@cache
def pandera_schema(contract: TableContract) -> pandera.DataFrameSchema:
    import pandera.polars as pandera

    columns = {
        column.name: pandera.Column(
            polars_dtype(column.type),
            nullable=column.nullable,
            checks=[getattr(pandera.Check, rule.check)(*rule.args, **dict(rule.kwargs)) for rule in column.rules],
        )
        for column in contract.columns
    }
    checks = [row_check(name) for name in contract.row_rules]
    return pandera.DataFrameSchema(columns, checks=checks, strict=contract.strict, name=contract.name)
