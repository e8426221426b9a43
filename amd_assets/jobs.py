"""The pipeline as jobs, because dedup is global: per-source preparation, the global dedup, per-source curation,
generation and verification, then the global release and audits. `amd materialize` runs them in that order
(`amd_assets/cli/run.py`); the UI launches each or backfills partitions. A new job is defined here and added to
`PIPELINE_JOBS`; its executor is the definitions' (in-process, see `build.py`)."""

from dagster import AssetSelection, define_asset_job

PREPARE_SOURCES = "prepare_sources"
DEDUPLICATE = "deduplicate"
CURATE_SOURCES = "curate_sources"
GENERATE_RESPONSES = "generate_responses"
VERIFY_RESPONSES = "verify_responses"
REGENERATE = "regenerate_responses"
RELEASE = "release_dataset"
AUDIT = "audit"

prepare_sources = define_asset_job(
    PREPARE_SOURCES,
    selection=AssetSelection.assets(
        "raw_problems",
        "normalized_problems",
        "filtered_problems",
        "decontaminated_problems",
        "problem_signatures",
        "problem_embeddings",
    ),
    description="One source: ingest, normalize, filter, decontaminate, sign, embed (backfill several from the UI).",
)
deduplicate = define_asset_job(
    DEDUPLICATE,
    selection=AssetSelection.assets("dedup_decisions", "semantic_dedup_decisions"),
    description="All sources at once: exact and near-duplicate clusters, then semantic (embedding) duplicates among "
    "the survivors; one kept problem per cluster.",
)
curate_sources = define_asset_job(
    CURATE_SOURCES,
    selection=AssetSelection.assets("curated_problems"),
    description="One source: dedup survivors with labels and optional downsampling.",
)

generate_responses = define_asset_job(
    GENERATE_RESPONSES,
    selection=AssetSelection.assets("teacher_responses"),
    description="One source: teacher responses for problems without an accepted one (costs GPU time; kept apart "
    "so ingest backfills never spend it).",
)

verify_responses = define_asset_job(
    VERIFY_RESPONSES,
    selection=AssetSelection.assets("response_verdicts", "distilled_samples"),
    description="One source: verify existing traces and teacher responses, keep one accepted response per problem.",
)

regenerate_responses = define_asset_job(
    REGENERATE,
    selection=AssetSelection.assets("teacher_responses", "response_verdicts", "distilled_samples"),
    description="One source: another round of rejection sampling (generate, verify, select) in one run.",
)

release_dataset = define_asset_job(
    RELEASE,
    selection=AssetSelection.assets("release"),
    description="All sources at once: the versioned release folder (JSONL.zst, Parquet, card, manifest), its "
    "release_rows partition and the release gates.",
)

audit = define_asset_job(
    AUDIT,
    selection=AssetSelection.groups("audits"),
    description="dbt build over the lakehouse: the audit models and their tests (the release gate among them) as "
    "asset checks; runs after the release.",
)

PIPELINE_JOBS = [
    prepare_sources,
    deduplicate,
    curate_sources,
    generate_responses,
    verify_responses,
    regenerate_responses,
    release_dataset,
    audit,
]
