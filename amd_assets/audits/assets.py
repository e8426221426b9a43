"""The dbt audit models as one Dagster multi-asset, their dbt tests as its blocking checks.

Specs come from the prepared manifest (`amd_assets.audits.specs`); running it is `dbt build` of the selected
models and tests (`amd_assets.audits.runner`), with the lakehouse and audit database of the run's resources.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetCheckResult, AssetExecutionContext, AssetsDefinition, MaterializeResult, multi_asset

from amd_assets.audits.resource import AuditDatabaseResource
from amd_assets.audits.runner import dbt_build
from amd_assets.audits.specs import AuditSpecs, build_audit_specs
from resources.lakehouse import LakehouseResource


def dbt_vars(lakehouse: LakehouseResource, audit_db: AuditDatabaseResource) -> dict[str, str]:
    """What dbt reads instead of $AMD_LAKEHOUSE / $AMD_AUDIT_DB: the resources' values, not the process env."""
    database = audit_db.resolved()
    database.parent.mkdir(parents=True, exist_ok=True)
    return {"lakehouse": lakehouse.root_path(), "audit_db": str(database)}


def build_audit_assets(manifest: Mapping[str, Any]) -> tuple[AssetsDefinition, AuditSpecs]:
    specs = build_audit_specs(manifest)

    @multi_asset(name="dbt_audits", specs=specs.assets, check_specs=specs.checks, can_subset=True)
    def dbt_audits(
        context: AssetExecutionContext, lakehouse: LakehouseResource, audit_db: AuditDatabaseResource
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        yield from dbt_build(context, specs, dbt_vars(lakehouse, audit_db), audit_db.resolved())

    return dbt_audits, specs
