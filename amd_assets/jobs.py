"""The pipeline as three jobs, because dedup is global: per-source preparation, the global dedup, then
per-source curation. `amd materialize` runs them in that order; the UI can launch each or backfill partitions."""

from dagster import AssetSelection, define_asset_job

PREPARE_SOURCES = "prepare_sources"
DEDUPLICATE = "deduplicate"
CURATE_SOURCES = "curate_sources"

prepare_sources = define_asset_job(
    PREPARE_SOURCES,
    selection=AssetSelection.assets(
        "raw_problems", "normalized_problems", "filtered_problems", "decontaminated_problems", "problem_signatures"
    ),
    description="One source: ingest, normalize, filter, decontaminate, sign (backfill several from the UI).",
)
deduplicate = define_asset_job(
    DEDUPLICATE,
    selection=AssetSelection.assets("dedup_decisions"),
    description="All sources at once: exact and near-duplicate clusters, one kept problem per cluster.",
)
curate_sources = define_asset_job(
    CURATE_SOURCES,
    selection=AssetSelection.assets("curated_problems"),
    description="One source: dedup survivors with labels and optional downsampling.",
)

PIPELINE_JOBS = [prepare_sources, deduplicate, curate_sources]
