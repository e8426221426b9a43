"""How the dbt audit models read in Dagster: group `audits`, keys = model names, lineage to the Delta assets.

A source maps to the asset writing its table through `meta.dagster.asset_key` (dagster-dbt's default). Side
tables written by several assets (rejections, quarantine) list them in `meta.amd_producers`: a model reading
such a table depends on every producer, and the table itself never shows as an asset of its own.
"""

from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetDep, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

AUDIT_GROUP = "audits"


def source_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta", {})


class AuditTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        # dbt tests on the models (the release gate included, on release_gate) become their asset checks.
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self._producers_of: tuple[int, dict[AssetKey, list[AssetKey]]] | None = None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return AUDIT_GROUP

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not unique_id.startswith("model."):
            return spec
        producers = self._producers(manifest)
        deps: dict[AssetKey, AssetDep] = {}
        for dep in spec.deps:
            for key in producers.get(dep.asset_key, [dep.asset_key]):
                deps.setdefault(key, AssetDep(key) if key != dep.asset_key else dep)
        return spec.replace_attributes(deps=list(deps.values()))

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetCheckSpec | None:
        """dbt tests are blocking checks, like every other check of the platform: dbt build skips the models
        downstream of a failing test, and Dagster does the same for assets downstream of the model."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=True) if spec is not None else None

    def _producers(self, manifest: Mapping[str, Any]) -> dict[AssetKey, list[AssetKey]]:
        """Source asset key -> the assets writing that side table (only for sources listing amd_producers);
        read once per manifest, not once per model."""
        if self._producers_of is None or self._producers_of[0] != id(manifest):
            self._producers_of = (id(manifest), self._read_producers(manifest))
        return self._producers_of[1]

    def _read_producers(self, manifest: Mapping[str, Any]) -> dict[AssetKey, list[AssetKey]]:
        return {
            self.get_asset_key(props): [AssetKey(name) for name in source_meta(props)["amd_producers"]]
            for props in manifest.get("sources", {}).values()
            if source_meta(props).get("amd_producers")
        }
