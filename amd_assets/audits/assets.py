"""The dbt audit models as Dagster assets, their dbt tests as asset checks; `dbt build` runs them together."""

import contextlib
import io
import json
from collections.abc import Iterator
from typing import Any

from dagster import AssetExecutionContext, DagsterLogManager
from dagster_dbt import DbtCliResource, dbt_assets

from amd_assets.audits.dbt_project import audit_project
from amd_assets.audits.resource import AuditDatabaseResource
from amd_assets.audits.translator import AuditTranslator
from resources.lakehouse import LakehouseResource


def dbt_vars(lakehouse: LakehouseResource, audit_db: AuditDatabaseResource) -> dict[str, str]:
    """What dbt reads instead of $AMD_LAKEHOUSE / $AMD_AUDIT_DB: the resources' values, not the process env."""
    database = audit_db.resolved()
    database.parent.mkdir(parents=True, exist_ok=True)
    return {"lakehouse": lakehouse.root_path(), "audit_db": str(database)}


class LogLines(io.TextIOBase):
    """A stdout that turns dagster-dbt's echo of dbt's log lines into run log events (the UI shows them; the
    terminal of `amd materialize` shows warnings only), instead of printing them to the terminal."""

    def __init__(self, log: DagsterLogManager) -> None:
        self.log = log

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                self.log.info(line)
        return len(text)


@dbt_assets(
    manifest=audit_project.manifest_path,
    project=audit_project,
    dagster_dbt_translator=AuditTranslator(),
    name="dbt_audits",
)
def dbt_audits(
    context: AssetExecutionContext, dbt: DbtCliResource, lakehouse: LakehouseResource, audit_db: AuditDatabaseResource
) -> Iterator[Any]:
    variables = json.dumps(dbt_vars(lakehouse, audit_db))
    with contextlib.redirect_stdout(LogLines(context.log)):
        yield from dbt.cli(["build", "--vars", variables], context=context).stream()


audit_assets = [dbt_audits]
