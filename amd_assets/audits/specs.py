"""The dbt manifest as Dagster specs: each model an asset of group `audits`, each dbt test a blocking check.

Read from the prepared manifest's JSON, without dagster-dbt (whose import costs seconds in every process that
loads the code location). The mapping:
- a model's key is its name; it depends on the models it refs and on the asset writing each Delta source it
  reads: the source's `meta.dagster.asset_key`, or for side tables written by several assets (rejections,
  quarantine) every asset in `meta.amd_producers`. A source with neither is an error (it would show as a
  stray asset).
- a generic test is a check on the model it is attached to; a singular test on the one model it depends on.
  Its description is the yml `description`, else one derived from the test's arguments.
- column names, types (`data_type`, enforced by dbt model contracts) and descriptions become the model's
  column schema in the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckKey,
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    MetadataValue,
    TableColumn,
    TableColumnConstraints,
    TableSchema,
)

AUDIT_GROUP = "audits"
KINDS = {"dbt", "duckdb"}


@dataclass
class AuditSpecs:
    """What the code location shows of the dbt project, and how dbt's node ids map onto it."""

    assets: list[AssetSpec] = field(default_factory=list)
    checks: list[AssetCheckSpec] = field(default_factory=list)
    model_keys: dict[str, AssetKey] = field(default_factory=dict)  # model unique_id -> asset key
    check_keys: dict[str, AssetCheckKey] = field(default_factory=dict)  # test unique_id -> check key

    def model_name(self, key: AssetKey) -> str:
        return key.path[-1]


def node_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


def source_keys(source: Mapping[str, Any]) -> list[AssetKey]:
    meta = node_meta(source)
    if meta.get("amd_producers"):
        return [AssetKey(name) for name in meta["amd_producers"]]
    asset_key = meta.get("dagster", {}).get("asset_key")
    if asset_key:
        return [AssetKey(asset_key)]
    raise ValueError(
        f"dbt source {source['unique_id']} names no producing asset: set meta.dagster.asset_key or "
        "meta.amd_producers in dbt_models/models/sources.yml"
    )


def model_deps(model: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[AssetKey]:
    deps: dict[AssetKey, None] = {}
    for unique_id in model["depends_on"]["nodes"]:
        if unique_id.startswith("model."):
            deps[AssetKey(manifest["nodes"][unique_id]["name"])] = None
        elif unique_id.startswith("source."):
            deps.update(dict.fromkeys(source_keys(manifest["sources"][unique_id])))
    return list(deps)


def column_schema(model: Mapping[str, Any], not_null: set[str]) -> TableSchema:
    return TableSchema(
        columns=[
            TableColumn(
                name=name,
                type=(column.get("data_type") or "?").lower(),
                description=column.get("description") or None,
                constraints=TableColumnConstraints(nullable=name not in not_null),
            )
            for name, column in model["columns"].items()
        ]
    )


def model_spec(model: Mapping[str, Any], manifest: Mapping[str, Any], not_null: set[str]) -> AssetSpec:
    return AssetSpec(
        key=AssetKey(model["name"]),
        deps=model_deps(model, manifest),
        description=model.get("description") or None,
        group_name=AUDIT_GROUP,
        kinds=KINDS,
        skippable=True,  # dbt skips a model whose upstream test failed; the run still fails, see runner
        metadata={
            "dagster/column_schema": column_schema(model, not_null),
            "dbt/unique_id": model["unique_id"],
            "dbt/sql": MetadataValue.path(model["original_file_path"]),
            "dagster/relation_identifier": model.get("relation_name") or model["name"],
        },
    )


# What dbt's generic column tests assert, in words; other tests name themselves and their arguments.
GENERIC = {
    "not_null": "`{column}` is never null.",
    "unique": "`{column}` is unique.",
    "accepted_values": "`{column}` is one of {values}.",
    "between": "`{column}` lies in [{min_value}, {max_value}].",
}


def test_description(test: Mapping[str, Any]) -> str:
    """The yml description, else what the generic test asserts, from its arguments."""
    if test.get("description"):
        return str(test["description"])
    metadata = test.get("test_metadata") or {}
    kwargs = {k: v for k, v in (metadata.get("kwargs") or {}).items() if k != "model"}
    name = metadata.get("name", "singular test")
    column = kwargs.pop("column_name", None)
    if name in GENERIC and column:
        return GENERIC[name].format(column=column, **kwargs)
    subject = f"`{column}`" if column else "the model"
    arguments = ", ".join(f"{key}={value}" for key, value in kwargs.items())
    return f"dbt {name} on {subject}" + (f" ({arguments})" if arguments else "") + "."


def not_null_columns(manifest: Mapping[str, Any]) -> dict[str, set[str]]:
    """Model unique_id -> its columns under a not_null test (shown as non-nullable in the UI)."""
    found: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        column = (metadata.get("kwargs") or {}).get("column_name")
        if metadata.get("name") == "not_null" and column and node.get("attached_node"):
            found.setdefault(node["attached_node"], set()).add(column)
    return found


def tested_model(test: Mapping[str, Any]) -> str | None:
    attached = test.get("attached_node")
    if attached:
        return attached
    models = [node for node in test["depends_on"]["nodes"] if node.startswith("model.")]
    return models[0] if len(models) == 1 else None


def build_audit_specs(manifest: Mapping[str, Any]) -> AuditSpecs:
    specs = AuditSpecs()
    nodes = manifest["nodes"]
    not_null = not_null_columns(manifest)
    for unique_id, node in sorted(nodes.items()):
        if node["resource_type"] == "model":
            spec = model_spec(node, manifest, not_null.get(unique_id, set()))
            specs.assets.append(spec)
            specs.model_keys[unique_id] = spec.key
    for unique_id, node in sorted(nodes.items()):
        model = tested_model(node) if node["resource_type"] == "test" else None
        if model not in specs.model_keys:
            continue
        check = AssetCheckSpec(
            name=node["name"],
            asset=specs.model_keys[model],
            description=test_description(node),
            # dbt build skips the models downstream of a failing test; Dagster does the same for assets.
            blocking=True,
            metadata={"dbt/unique_id": unique_id},
        )
        specs.checks.append(check)
        specs.check_keys[unique_id] = check.key
    return specs
