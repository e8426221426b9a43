"""dbt-duckdb source plugin: dbt-duckdb's `delta` plugin, plus empty tables for optional sources.

A source whose meta names a `contract` ("path/to/module.py:NAME" of a TableContract, relative to the repo root)
and whose Delta table was never
written reads as an empty table with the contract's schema, so the audits build on a lakehouse where a stage
has not run yet (teacher_responses without a teacher, release_rows before the first release). Sources without
a `contract` keep failing loudly when their table is missing (e.g. a wrong lakehouse path).
"""

import importlib.util
from pathlib import Path
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import delta
from dbt.adapters.duckdb.utils import SourceConfig
from deltalake import DeltaTable

REPO_ROOT = Path(__file__).resolve().parents[2]


def contract_schema(reference: str) -> pa.Schema:
    """The Arrow schema of the TableContract named by "path/to/module.py:NAME".

    The module is loaded from its file, not imported by package: the stage packages' __init__ import their
    Dagster assets (seconds of imports in every dbt process), a contract module needs pyarrow only.
    """
    path, _, name = reference.partition(":")
    spec = importlib.util.spec_from_file_location(f"amd_contract_{Path(path).parent.name}", REPO_ROOT / path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no contract module at {REPO_ROOT / path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name).schema


class Plugin(delta.Plugin):
    def load(self, source_config: SourceConfig) -> Any:
        contract = source_config.get("contract")
        path = source_config.get("delta_table_path")
        options = source_config.get("storage_options", None)
        if contract and path and not DeltaTable.is_deltatable(path, storage_options=options):
            return contract_schema(contract).empty_table()
        return super().load(source_config)
