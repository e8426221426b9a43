"""What the UI shows of the dbt project, read from the prepared manifest: typed and described columns under an
enforced contract, described blocking checks, lineage to the assets that write each Delta source."""

from __future__ import annotations

import copy

import pytest

from amd_assets.audits.project import load_manifest
from amd_assets.audits.specs import AUDIT_GROUP, build_audit_specs
from amd_assets.build import PIPELINE_ASSETS


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_manifest()


def test_every_model_column_has_a_type_and_a_description_under_an_enforced_contract(manifest):
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert models
    for model in models:
        assert model["config"]["contract"]["enforced"], f"{model['name']}: set config.contract.enforced"
        assert model["columns"], model["name"]
        for name, column in model["columns"].items():
            assert column.get("data_type") and column.get("description"), f"{model['name']}.{name}"
    for spec in build_audit_specs(manifest).assets:
        schema = spec.metadata["dagster/column_schema"]
        assert all(column.type != "?" and column.description for column in schema.columns), spec.key
        assert spec.group_name == AUDIT_GROUP


def test_every_dbt_test_is_a_described_blocking_check(manifest):
    specs = build_audit_specs(manifest)
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    assert len(specs.checks) == len(tests)
    for check in specs.checks:
        assert check.blocking and check.description and not check.description.startswith("dbt singular"), check.key
    not_null = next(c for c in specs.checks if c.name == "not_null_release_gate_problem_id")
    assert not_null.description == "`problem_id` is never null."
    gate = next(s for s in specs.assets if s.key.path[-1] == "release_gate")
    problem_id = next(c for c in gate.metadata["dagster/column_schema"].columns if c.name == "problem_id")
    assert problem_id.constraints.nullable is False


def test_models_depend_only_on_pipeline_assets_and_other_models(manifest):
    specs = build_audit_specs(manifest)
    pipeline = {spec.key for asset in PIPELINE_ASSETS for spec in getattr(asset, "specs", [asset])}
    models = {spec.key for spec in specs.assets}
    for spec in specs.assets:
        assert {dep.asset_key for dep in spec.deps} <= pipeline | models, spec.key


def test_a_source_naming_no_producing_asset_is_an_error(manifest):
    broken = copy.deepcopy(manifest)
    source = next(iter(broken["sources"].values()))
    source["meta"], source["config"] = {}, {"meta": {}}
    with pytest.raises(ValueError, match="names no producing asset"):
        build_audit_specs(broken)
