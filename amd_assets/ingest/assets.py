"""Ingest stage family: source files → `raw_problems` → `normalized_problems`, one partition per source."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
from amd_assets.ingest.normalize_stage import NormalizeStage
from amd_assets.ingest.raw import RawIngest
from amd_assets.metadata import stage_metadata
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.sinks import QuarantineSink
from amd_assets.stages import per_source_asset, write_source_partition
from resources.lakehouse import LakehouseResource

INGEST_GROUP = "ingest"


@asset(**per_source_asset(RAW_PROBLEMS, INGEST_GROUP))
def raw_problems(
    context: AssetExecutionContext, lakehouse: LakehouseResource, source_registry: SourceRegistryResource
) -> MaterializeResult:
    source = context.partition_key
    started = time.monotonic()
    quarantine = QuarantineSink(source, stage="read")
    ingest = RawIngest(source_registry.load(), source, quarantine)
    version = write_source_partition(lakehouse, RAW_PROBLEMS, source, ingest.batches(), quarantine)
    seconds = time.monotonic() - started
    context.log.info(
        f"{source}: {ingest.stats.rows} rows read from {ingest.stats.files} file(s), {ingest.rows_out} kept, "
        f"{quarantine.total} quarantined, {seconds:.1f}s"
    )
    return MaterializeResult(
        metadata=stage_metadata(
            lakehouse,
            RAW_PROBLEMS,
            source,
            rows=ingest.rows_out,
            version=version,
            side=quarantine,
            preview_columns=["problem_id", "source_file", "source_row", "row_key", "record"],
            extra={
                "rows_read": ingest.stats.rows,
                "files_read": ingest.stats.files,
                "blank_lines": ingest.stats.blank_lines,
                "rows_per_second": round(ingest.stats.rows / max(seconds, 1e-9), 1),
            },
        )
    )


@asset(**per_source_asset(NORMALIZED_PROBLEMS, INGEST_GROUP, deps=[raw_problems]))
def normalized_problems(
    context: AssetExecutionContext, lakehouse: LakehouseResource, source_registry: SourceRegistryResource
) -> MaterializeResult:
    source = context.partition_key
    started = time.monotonic()
    quarantine = QuarantineSink(source, stage="normalize")
    stage = NormalizeStage(lakehouse, source_registry.load().get(source), quarantine)
    version = write_source_partition(lakehouse, NORMALIZED_PROBLEMS, source, stage.batches(), quarantine)
    seconds = time.monotonic() - started
    context.log.info(f"{source}: {stage.rows_in} raw rows, {stage.rows_out} normalized, {quarantine.total} quarantined")
    return MaterializeResult(
        metadata=stage_metadata(
            lakehouse,
            NORMALIZED_PROBLEMS,
            source,
            rows=stage.rows_out,
            version=version,
            side=quarantine,
            preview_columns=["problem_id", "row_key", "category", "difficulty", "prompt", "reference_answer"],
            extra={"rows_in": stage.rows_in, "rows_per_second": round(stage.rows_in / max(seconds, 1e-9), 1)},
        )
    )
