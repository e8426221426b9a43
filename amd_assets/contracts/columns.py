"""The vocabulary of table contracts: a column (name, Arrow type, nullability, description, value rules) and the
value rules themselves, as plain data.

Everything a table promises is declared once, as `Column`s of a `TableContract` (`amd_assets.contracts.tables`).
From that one declaration come the Arrow schema the stages write, the pandera schema the blocking checks validate
(`amd_assets.contracts.pandera_schema`), the dbt source columns (`amd_assets.contracts.dbt_sources`) and the
column schema the UI shows. A rule names a pandera `Check` constructor and its arguments; pandera itself is
imported only when a check runs. What involves several columns of a row is a row rule
(`amd_assets.contracts.row_rules`), named by the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from amd_assets.registry.model import CATEGORIES

PROBLEM_ID = r"^[0-9a-f]{24}$"
SOURCE_NAME = r"^[a-z0-9][a-z0-9_\-]*$"
TEXT_HASH = r"^[0-9a-f]{16}$"
LANGUAGE_CODE = r"^[a-z]{2,3}$"


@dataclass(frozen=True)
class Rule:
    """One value rule: `pandera.Check.<check>(*args, **kwargs)` on the column's values."""

    check: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        shown = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.check}({', '.join(shown)})"


def matches(pattern: str) -> Rule:
    return Rule("str_matches", (pattern,))


def one_of(*values: str) -> Rule:
    return Rule("isin", (values,))


def at_least(value: float) -> Rule:
    return Rule("ge", (value,))


def above(value: float) -> Rule:
    return Rule("gt", (value,))


def at_most(value: float) -> Rule:
    return Rule("le", (value,))


def equals(value: Any) -> Rule:
    return Rule("eq", (value,))


def starts_with(prefix: str) -> Rule:
    return Rule("str_startswith", (prefix,))


NOT_EMPTY = Rule("str_length", kwargs=(("min_value", 1),))
SHARE = (at_least(0), at_most(1))  # a score or rate in [0, 1]
JSON_OBJECT = starts_with("{")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    description: str
    nullable: bool = False
    rules: tuple[Rule, ...] = field(default=())

    def field(self) -> pa.Field:
        return pa.field(self.name, self.type, nullable=self.nullable)

    def but(self, **changes: Any) -> Column:
        """The same column with some attributes changed (a narrower rule, another description)."""
        return replace(self, **changes)


def required(name: str, type_: pa.DataType, description: str, *rules: Rule) -> Column:
    return Column(name, type_, description, nullable=False, rules=rules)


def optional(name: str, type_: pa.DataType, description: str, *rules: Rule) -> Column:
    return Column(name, type_, description, nullable=True, rules=rules)


STRING, INT32, INT64, FLOAT64, BOOL, BINARY = pa.string(), pa.int32(), pa.int64(), pa.float64(), pa.bool_(), pa.binary()
UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

# Columns several tables share, declared once.
PROBLEM_ID_COLUMN = required(
    "problem_id", STRING, "Stable hash (blake2b-96) of (source, source row key).", matches(PROBLEM_ID)
)
RESPONSE_ID_COLUMN = required(
    "response_id",
    STRING,
    "Stable hash of (problem, origin, model, sampling settings, prompt version, sample index) or of the trace.",
    matches(PROBLEM_ID),
)
LINEAGE = (
    required("source", STRING, "The source (sources.yaml entry) the row came from.", matches(SOURCE_NAME)),
    required("source_file", STRING, "The input file, relative to sources.yaml.", NOT_EMPTY),
    required("source_row", INT64, "1-based line (JSONL, CSV) or row number (Parquet) in source_file.", at_least(1)),
)
# A problem row's key and lineage, the columns every stage carries along (by name).
PROBLEM_KEY = (PROBLEM_ID_COLUMN.name, *(column.name for column in LINEAGE))
ORIGIN = required(
    "origin",
    STRING,
    "existing (a trace shipped with the source) or teacher (newly generated).",
    one_of("existing", "teacher"),
)
CATEGORY = required("category", STRING, "math, code, science or general.", one_of(*CATEGORIES))
ACCEPTED_SCORE = optional("score", FLOAT64, "The accepted response's score in [0, 1].", *SHARE)
