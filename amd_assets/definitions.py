"""The Dagster code location: assembles assets, checks, jobs, resources and sensors; defines nothing itself."""

from dagster import Definitions

from amd_assets.audits.assets import audit_assets
from amd_assets.curation.assets import (
    curated_problems,
    decontaminated_problems,
    dedup_decisions,
    filtered_problems,
    problem_signatures,
)
from amd_assets.curation.checks import curation_checks
from amd_assets.generation import generation_assets, generation_checks
from amd_assets.ingest import ingest_assets, ingest_checks
from amd_assets.jobs import PIPELINE_JOBS, PREPARE_SOURCES, REGENERATE
from amd_assets.release import release_assets, release_checks
from amd_assets.resources import build_resources
from amd_assets.verification.assets import distilled_samples, response_verdicts
from amd_assets.verification.checks import verification_checks
from sensors import build_benchmark_change_sensor, build_regeneration_sensor, build_source_change_sensor

ALL_ASSETS = [
    *ingest_assets,
    filtered_problems,
    decontaminated_problems,
    problem_signatures,
    dedup_decisions,
    curated_problems,
    *generation_assets,
    response_verdicts,
    distilled_samples,
    *release_assets,
    *audit_assets,
]
ALL_CHECKS = [*ingest_checks, *curation_checks, *generation_checks, *verification_checks, *release_checks]

defs = Definitions(
    assets=ALL_ASSETS,
    asset_checks=ALL_CHECKS,
    jobs=PIPELINE_JOBS,
    resources=build_resources(),
    sensors=[
        build_source_change_sensor(PREPARE_SOURCES),
        build_benchmark_change_sensor(PREPARE_SOURCES),
        build_regeneration_sensor(REGENERATE),
    ],
)
