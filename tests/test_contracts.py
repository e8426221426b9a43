"""One declaration per table: the Arrow schema, the pandera schema, the dbt source and the catalogue all come
from the table contract, and a column added to a contract reaches all of them."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

import polars as pl
import pyarrow as pa
import pytest
from pandera.errors import SchemaError

import amd_assets
from amd_assets.audits.project import load_manifest
from amd_assets.build import PIPELINE_ASSETS
from amd_assets.contracts.catalogue import all_tables
from amd_assets.contracts.columns import optional
from amd_assets.contracts.dbt_sources import SOURCES_YML, duckdb_type, render_sources_yml, source_table
from amd_assets.contracts.pandera_schema import pandera_schema, polars_dtype
from amd_assets.contracts.tables import DEDUP_DECISIONS, RAW_PROBLEMS, TableContract


def declared_contracts() -> list[TableContract]:
    """Every TableContract object defined in a module of amd_assets (imported here, as the code location does)."""
    found = []
    for module_info in pkgutil.walk_packages(amd_assets.__path__, "amd_assets."):
        if module_info.name.startswith("amd_assets.cli"):
            continue
        module = importlib.import_module(module_info.name)
        found += [value for value in vars(module).values() if isinstance(value, TableContract)]
    return list({id(contract): contract for contract in found}.values())


def test_every_written_table_is_in_the_catalogue_and_names_real_writers():
    catalogue = all_tables()
    written = [contract for contract in declared_contracts() if contract.writers]
    assert {contract.name for contract in written} == set(catalogue)
    assets = {spec.key.path[-1] for asset in PIPELINE_ASSETS for spec in getattr(asset, "specs", [asset])}
    for contract in catalogue.values():
        assert set(contract.writers) <= assets, contract.name


def test_the_committed_dbt_sources_are_generated_from_the_contracts():
    assert SOURCES_YML.read_text() == render_sources_yml(), (
        "dbt_models/models/sources.yml is stale: run `make bootstrap` (python -m amd_assets.contracts.dbt_sources "
        "--write)"
    )


def test_dbts_parsed_sources_agree_with_the_contracts():
    sources = {node["name"]: node for node in load_manifest()["sources"].values()}
    for name, contract in all_tables().items():
        columns = {column: spec["data_type"] for column, spec in sources[name]["columns"].items()}
        assert columns == {column.name: duckdb_type(column.type) for column in contract.columns}, name


@pytest.mark.parametrize("contract", list(all_tables().values()), ids=lambda contract: contract.name)
def test_the_pandera_schema_has_the_contracts_columns_types_and_nullability(contract):
    schema = pandera_schema(contract)
    assert list(schema.columns) == contract.schema.names
    for field in contract.schema:
        assert schema.columns[field.name].nullable == field.nullable, field.name
        assert schema.columns[field.name].dtype.type == polars_dtype(field.type), field.name


def test_a_column_added_to_one_contract_reaches_arrow_pandera_and_dbt():
    added = optional("grader_notes", pa.string(), "Notes of a human grader.")
    contract = replace(RAW_PROBLEMS, columns=(*RAW_PROBLEMS.columns, added))
    assert contract.schema.field("grader_notes").type == pa.string()
    assert "grader_notes" in pandera_schema(contract).columns
    assert {"name": "grader_notes", "data_type": "varchar", "description": added.description} in source_table(contract)[
        "columns"
    ]


def dedup_row(**changes) -> pl.DataFrame:
    row = {
        "problem_id": "a" * 24,
        "source": "gsm8k",
        "kept_problem_id": "a" * 24,
        "kept_source": "gsm8k",
        "is_kept": True,
        "reason": None,
        "similarity": None,
        "cluster_size": 1,
        **changes,
    }
    return pl.from_arrow(pa.Table.from_pylist([row], schema=DEDUP_DECISIONS.schema))


def test_value_rules_and_row_rules_of_the_declaration_reject_bad_rows():
    schema = pandera_schema(DEDUP_DECISIONS)
    schema.validate(dedup_row())
    with pytest.raises(SchemaError, match="str_matches"):
        schema.validate(dedup_row(kept_problem_id="not-a-hash"))
    with pytest.raises(SchemaError, match="dedup_kept_rows_point_at_themselves"):  # kept, yet pointing elsewhere
        schema.validate(dedup_row(kept_problem_id="b" * 24))
