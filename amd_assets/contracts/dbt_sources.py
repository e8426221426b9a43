"""dbt's view of the lakehouse, generated from the table contracts: `dbt_models/models/sources.yml`.

Each catalogue table is a dbt source with its description, every column with its DuckDB type and description,
and the meta the audits need: which Dagster assets write it (a model reading it sits downstream of them in the
lineage graph) and whether it may be missing (read as an empty table of its contract, see
amd_assets/audits/delta_source.py). `make` regenerates the file when a contract changes
(`python -m amd_assets.contracts.dbt_sources --write`); tests/test_contracts.py fails when it is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from amd_assets.contracts.catalogue import all_tables
from amd_assets.contracts.tables import TableContract
from amd_assets.registry.load import REPO_ROOT

SOURCES_YML = REPO_ROOT / "dbt_models" / "models" / "sources.yml"
LAKEHOUSE_PATH = "{{ var('lakehouse', env_var('AMD_LAKEHOUSE', '../lakehouse')) }}"
HEADER = """\
# GENERATED from the table contracts (amd_assets/contracts/): edit the contract, not this file; `make` rewrites it
# (python -m amd_assets.contracts.dbt_sources --write). meta.dagster.asset_key / meta.amd_producers name the assets
# writing each table (the dbt models' lineage), meta.contract marks a table read as empty when never written.
# The lakehouse root: --vars lakehouse (what Dagster passes), else $AMD_LAKEHOUSE, else ../lakehouse.
"""
SCALARS = {
    pa.string(): "varchar",
    pa.int64(): "bigint",
    pa.int32(): "integer",
    pa.uint32(): "uinteger",
    pa.float64(): "double",
    pa.bool_(): "boolean",
    pa.binary(): "blob",
}


def duckdb_type(arrow_type: pa.DataType) -> str:
    """The DuckDB type a Delta column of `arrow_type` reads as."""
    if arrow_type in SCALARS:
        return SCALARS[arrow_type]
    if pa.types.is_timestamp(arrow_type):
        return "timestamp with time zone" if arrow_type.tz else "timestamp"
    if pa.types.is_list(arrow_type):
        return duckdb_type(arrow_type.value_type) + "[]"
    if pa.types.is_struct(arrow_type):
        fields = ", ".join(f"{field.name} {duckdb_type(field.type)}" for field in arrow_type)
        return f"struct({fields})"
    raise TypeError(f"no DuckDB type for Arrow {arrow_type}")


def source_table(contract: TableContract) -> dict[str, Any]:
    meta: dict[str, Any] = {"delta_table_path": f"{LAKEHOUSE_PATH}/{contract.name}"}
    if len(contract.writers) == 1:
        meta["dagster"] = {"asset_key": [contract.writers[0]]}
    else:
        meta["amd_producers"] = list(contract.writers)
    if contract.may_be_missing:
        meta["contract"] = contract.name
    columns = [
        {"name": column.name, "data_type": duckdb_type(column.type), "description": column.description}
        for column in contract.columns
    ]
    return {"name": contract.name, "description": contract.description, "meta": meta, "columns": columns}


def render_sources_yml() -> str:
    tables = [source_table(contract) for contract in all_tables().values()]
    source = {
        "name": "lakehouse",
        "description": "Delta tables written by the Dagster assets.",
        "meta": {"plugin": "delta"},
        "tables": tables,
    }
    document = {"version": 2, "sources": [source]}
    return HEADER + yaml.safe_dump(document, sort_keys=False, width=120, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dbt sources.yml from the table contracts")
    parser.add_argument("--write", action="store_true", help=f"write {SOURCES_YML} (default: print it)")
    args = parser.parse_args(argv)
    text = render_sources_yml()
    if not args.write:
        sys.stdout.write(text)
    elif not SOURCES_YML.exists() or SOURCES_YML.read_text() != text:
        Path(SOURCES_YML).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
