"""The Dagster code location: assembles assets, checks, jobs, resources and sensors; defines nothing itself."""

from dagster import AssetSelection, Definitions, define_asset_job

from amd_assets.ingest import ingest_assets, ingest_checks
from amd_assets.resources import build_resources
from sensors import build_source_change_sensor

PER_SOURCE_JOB = "per_source_pipeline"

per_source_pipeline = define_asset_job(
    PER_SOURCE_JOB,
    selection=AssetSelection.assets(*ingest_assets),
    description="Every per-source stage for one source partition (backfill several from the UI).",
)

defs = Definitions(
    assets=[*ingest_assets],
    asset_checks=[*ingest_checks],
    jobs=[per_source_pipeline],
    sensors=[build_source_change_sensor(PER_SOURCE_JOB)],
    resources=build_resources(),
)
