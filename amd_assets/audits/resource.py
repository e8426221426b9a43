"""Where dbt writes the audit database (dbt is its only writer; `amd audit` and the UI only read it)."""

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field


class AuditDatabaseResource(ConfigurableResource):
    """The DuckDB file the dbt audit models are built into."""

    path: str = Field(description="The audit database file ($AMD_AUDIT_DB).")

    def resolved(self) -> Path:
        return Path(self.path).expanduser().resolve()
