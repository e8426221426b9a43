"""dbt-duckdb source plugin: dbt-duckdb's `delta` plugin, plus empty tables for sources that may be missing.

A source whose meta names a `contract` (the table's name in the contract catalogue, amd_assets/contracts) and
whose Delta table was never written reads as an empty table with the contract's schema, so the audits build on
a lakehouse where a stage has not run yet (teacher_responses without a teacher, release_rows before the first
release). Other sources keep failing loudly when their table is missing (e.g. a wrong lakehouse path).
"""

from typing import Any

from dbt.adapters.duckdb.plugins import delta
from dbt.adapters.duckdb.utils import SourceConfig
from deltalake import DeltaTable


class Plugin(delta.Plugin):
    def load(self, source_config: SourceConfig) -> Any:
        contract = source_config.get("contract")
        path = source_config.get("delta_table_path")
        options = source_config.get("storage_options", None)
        if contract and path and not DeltaTable.is_deltatable(path, storage_options=options):
            from amd_assets.contracts.catalogue import all_tables

            return all_tables()[contract].schema.empty_table()
        return super().load(source_config)
