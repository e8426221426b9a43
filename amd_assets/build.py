"""`build_defs`: the one place the `Definitions` are assembled, for the code location, the `amd` CLI and tests.

What belongs here: which assets, checks, jobs, sensors and resources make up the platform, and the overrides a
caller may pass (explicit paths, replaced resources). Asset logic and resource classes live in their stage
packages and `resources/`; `definitions.py` only calls this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import Definitions, in_process_executor

from amd_assets.audits.assets import build_audit_assets
from amd_assets.audits.project import load_manifest
from amd_assets.curation.assets import (
    curated_problems,
    decontaminated_problems,
    dedup_decisions,
    filtered_problems,
    problem_signatures,
)
from amd_assets.curation.checks import curation_checks
from amd_assets.generation.assets import teacher_responses
from amd_assets.generation.checks import generation_checks
from amd_assets.ingest.assets import normalized_problems, raw_problems
from amd_assets.ingest.checks import ingest_checks
from amd_assets.jobs import PIPELINE_JOBS, PREPARE_SOURCES, REGENERATE
from amd_assets.release.assets import release, release_rows
from amd_assets.release.checks import release_checks
from amd_assets.resources import build_resources
from amd_assets.semantic.assets import problem_embeddings, semantic_dedup_decisions
from amd_assets.semantic.checks import semantic_checks
from amd_assets.settings import Paths, fill_environment_defaults
from amd_assets.verification.assets import distilled_samples, response_verdicts
from amd_assets.verification.checks import verification_checks
from sensors import build_benchmark_change_sensor, build_regeneration_sensor, build_source_change_sensor

PIPELINE_ASSETS = [
    raw_problems,
    normalized_problems,
    filtered_problems,
    decontaminated_problems,
    problem_signatures,
    problem_embeddings,
    dedup_decisions,
    semantic_dedup_decisions,
    curated_problems,
    teacher_responses,
    response_verdicts,
    distilled_samples,
    release,
    release_rows,
]
PIPELINE_CHECKS = [
    *ingest_checks,
    *curation_checks,
    *semantic_checks,
    *generation_checks,
    *verification_checks,
    *release_checks,
]


def build_defs(
    *,
    paths: Paths | None = None,
    resource_overrides: Mapping[str, Any] | None = None,
    dbt_manifest: Mapping[str, Any] | None = None,
) -> Definitions:
    """The platform's definitions. `paths` replace the location variables ($AMD_LAKEHOUSE, ...), which otherwise
    resolve when a run launches; `resource_overrides` replace resources by key; `dbt_manifest` replaces the
    prepared dbt manifest."""
    fill_environment_defaults()
    dbt_audits, _ = build_audit_assets(dbt_manifest if dbt_manifest is not None else load_manifest())
    return Definitions(
        assets=[*PIPELINE_ASSETS, dbt_audits],
        asset_checks=PIPELINE_CHECKS,
        jobs=PIPELINE_JOBS,
        resources=build_resources(paths, resource_overrides),
        sensors=[
            build_source_change_sensor(PREPARE_SOURCES),
            build_benchmark_change_sensor(PREPARE_SOURCES),
            build_regeneration_sensor(REGENERATE),
        ],
        # One process per run: a step subprocess would import the code location again for seconds of work
        # (see the README, "Running from the UI").
        executor=in_process_executor,
    )
