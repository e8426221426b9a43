"""The global `release` asset and the `release_rows` table it writes, one dynamic partition per version.

The version is only known once the release has been built (it is derived from the content), so `release` is
not partitioned: each run adds its version to the `release_versions` partitions and records the materialization
of that partition of `release_rows`. The UI then lists every version on `release_rows`' partitions page, and the
release asset shows the dataset card, its plots and the manifest summary.
"""

import base64
import re
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)

from amd_assets.metadata import column_schema
from amd_assets.partitions import RELEASE_VERSIONS, release_versions
from amd_assets.release.build import BuiltRelease, ReleaseConflict, build_release
from amd_assets.release.store import ReleaseConfig, ReleaseStoreResource
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES
from resources.lakehouse import LakehouseResource

RELEASE_GROUP = "release"
PLOT = re.compile(r"!\[([^\]]*)\]\((plots/[^)]+\.png)\)")

release_rows = AssetSpec(
    key=RELEASE_ROWS.name,
    deps=["release"],
    partitions_def=release_versions,
    group_name=RELEASE_GROUP,
    kinds={"deltalake"},
    description=RELEASE_ROWS.description + " Written by `release`; one partition per release version.",
    metadata={"dagster/column_schema": column_schema(RELEASE_ROWS), "partition_column": "release_version"},
)


def card_with_inline_plots(folder: Path) -> str:
    """The dataset card with its plots inlined as data URIs, so the UI shows them without serving files."""

    def inline(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / match.group(2)).read_bytes()).decode()
        return f"![{match.group(1)}](data:image/png;base64,{data})"

    return PLOT.sub(inline, (folder / "README.md").read_text(encoding="utf-8"))


def manifest_summary(built: BuiltRelease) -> dict[str, Any]:
    manifest = built.manifest
    return {
        "release_version": built.version,
        "created_at": manifest.get("created_at"),
        "content_sha256": manifest.get("content_sha256"),
        "rows": manifest.get("rows"),
        "files": len(manifest.get("files", [])),
        "code_version": manifest.get("code_version"),
    }


@asset(
    name="release",
    group_name=RELEASE_GROUP,
    kinds={"python", "deltalake", "parquet"},
    deps=["distilled_samples", "curated_problems", "response_verdicts", "teacher_responses"],
    description="All sources' distilled samples as a release folder (AM-format JSONL.zst + Parquet, dataset "
    "card, manifest) and the `release_rows` partition of its version.",
)
def release(
    context: AssetExecutionContext,
    config: ReleaseConfig,
    lakehouse: LakehouseResource,
    release_store: ReleaseStoreResource,
    judge: JudgeResource,
) -> MaterializeResult:
    if lakehouse.count(DISTILLED_SAMPLES.name) == 0:
        raise Failure(
            "nothing to release: no source has a distilled sample yet (run verify_responses; sources without "
            "existing traces need a teacher, see AMD_TEACHER_BACKEND)"
        )
    try:
        built = build_release(lakehouse, release_store, judge, config)
    except (ReleaseConflict, ValueError) as error:
        raise Failure(str(error)) from error
    rows = sum(built.rows_by_split.values())
    context.log.info(f"release {built.version}: {rows} rows at {built.path}")
    if config.missing_sources:
        context.log.warning(f"partial release {built.version}: without {sorted(config.missing_sources)}")
    context.instance.add_dynamic_partitions(RELEASE_VERSIONS, [built.version])
    context.log_event(
        AssetMaterialization(
            asset_key=RELEASE_ROWS.name,
            partition=built.version,
            metadata={"dagster/row_count": rows, "delta_version": built.delta_version},
        )
    )
    return MaterializeResult(
        metadata={
            "version": built.version,
            "path": MetadataValue.path(str(built.path)),
            "dagster/row_count": rows,
            "rows_by_origin": MetadataValue.json(built.rows_by_split),
            "rows_by_source": MetadataValue.json(built.rows_by_source),
            "missing_sources": MetadataValue.json(config.missing_sources),
            "dataset_card": MetadataValue.md(card_with_inline_plots(built.path)),
            "manifest": MetadataValue.json(manifest_summary(built)),
            "upstream_delta_versions": MetadataValue.json(built.manifest["upstream_delta_versions"]),
            "verifier_versions": MetadataValue.json(built.manifest["verifiers"]),
            "delta_version": built.delta_version,
        }
    )
