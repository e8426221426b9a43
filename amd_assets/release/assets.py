"""The global `release` asset: every source's distilled samples as one versioned dataset."""

from dagster import AssetExecutionContext, Failure, MaterializeResult, MetadataValue, asset

from amd_assets.metadata import column_schema
from amd_assets.release.build import ReleaseConflict, build_release
from amd_assets.release.store import ReleaseConfig, ReleaseStoreResource
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource

RELEASE_GROUP = "release"


@asset(
    name="release",
    group_name=RELEASE_GROUP,
    kinds={"python", "deltalake", "parquet"},
    deps=["distilled_samples", "curated_problems", "response_verdicts", "teacher_responses"],
    description="All sources' distilled samples as a release folder (AM-format JSONL.zst + Parquet, dataset "
    "card, manifest) and the `release_rows` partition of its version.",
    metadata={"dagster/column_schema": column_schema(RELEASE_ROWS), "partition_column": "release_version"},
)
def release(
    context: AssetExecutionContext,
    config: ReleaseConfig,
    lakehouse: LakehouseResource,
    release_store: ReleaseStoreResource,
    judge: JudgeResource,
) -> MaterializeResult:
    try:
        built = build_release(lakehouse, release_store, judge, config)
    except (ReleaseConflict, ValueError) as error:
        raise Failure(str(error)) from error
    context.log.info(f"release {built.version}: {sum(built.rows_by_split.values())} rows at {built.path}")
    return MaterializeResult(
        metadata={
            "version": built.version,
            "path": MetadataValue.path(str(built.path)),
            "dagster/row_count": sum(built.rows_by_split.values()),
            "rows_by_origin": MetadataValue.json(built.rows_by_split),
            "rows_by_source": MetadataValue.json(built.rows_by_source),
            "upstream_delta_versions": MetadataValue.json(built.manifest["upstream_delta_versions"]),
            "delta_version": built.delta_version,
        }
    )
