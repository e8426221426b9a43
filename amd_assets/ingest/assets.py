"""Ingest stage family: source files → `raw_problems` → `normalized_problems`, one partition per source."""

import time

from dagster import AssetExecutionContext, MaterializeResult, asset

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
from amd_assets.ingest.normalize_stage import NormalizeStage
from amd_assets.ingest.quarantine import QuarantineSink
from amd_assets.ingest.raw import RawIngest
from amd_assets.metadata import column_schema, stage_metadata
from amd_assets.partitions import source_partitions
from amd_assets.registry.resource import SourceRegistryResource
from resources.lakehouse import LakehouseResource

INGEST_GROUP = "ingest"


@asset(
    partitions_def=source_partitions,
    group_name=INGEST_GROUP,
    kinds={"python", "deltalake"},
    description=RAW_PROBLEMS.description,
    metadata={"dagster/column_schema": column_schema(RAW_PROBLEMS), "partition_column": "source"},
)
def raw_problems(
    context: AssetExecutionContext, lakehouse: LakehouseResource, source_registry: SourceRegistryResource
) -> MaterializeResult:
    source = context.partition_key
    started = time.monotonic()
    quarantine = QuarantineSink(source, stage="raw")
    ingest = RawIngest(source_registry.load(), source, quarantine)
    version = lakehouse.replace_partition(
        RAW_PROBLEMS.name, ingest.batches(), RAW_PROBLEMS.schema, {"source": source}, RAW_PROBLEMS.partition_by
    )
    quarantine.write(lakehouse)
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
            quarantined=quarantine.counts,
            preview_columns=["problem_id", "source_file", "source_row", "row_key", "record"],
            quarantine_preview=quarantine.markdown(),
            extra={
                "rows_read": ingest.stats.rows,
                "files_read": ingest.stats.files,
                "blank_lines": ingest.stats.blank_lines,
                "rows_per_second": round(ingest.stats.rows / max(seconds, 1e-9), 1),
            },
        )
    )


@asset(
    partitions_def=source_partitions,
    group_name=INGEST_GROUP,
    deps=[raw_problems],
    kinds={"python", "deltalake"},
    description=NORMALIZED_PROBLEMS.description,
    metadata={"dagster/column_schema": column_schema(NORMALIZED_PROBLEMS), "partition_column": "source"},
)
def normalized_problems(
    context: AssetExecutionContext, lakehouse: LakehouseResource, source_registry: SourceRegistryResource
) -> MaterializeResult:
    source = context.partition_key
    started = time.monotonic()
    quarantine = QuarantineSink(source, stage="normalize")
    stage = NormalizeStage(lakehouse, source_registry.load().get(source), quarantine)
    version = lakehouse.replace_partition(
        NORMALIZED_PROBLEMS.name,
        stage.batches(),
        NORMALIZED_PROBLEMS.schema,
        {"source": source},
        NORMALIZED_PROBLEMS.partition_by,
    )
    quarantine.write(lakehouse)
    seconds = time.monotonic() - started
    context.log.info(f"{source}: {stage.rows_in} raw rows, {stage.rows_out} normalized, {quarantine.total} quarantined")
    return MaterializeResult(
        metadata=stage_metadata(
            lakehouse,
            NORMALIZED_PROBLEMS,
            source,
            rows=stage.rows_out,
            version=version,
            quarantined=quarantine.counts,
            preview_columns=["problem_id", "row_key", "category", "difficulty", "prompt", "reference_answer"],
            quarantine_preview=quarantine.markdown(),
            extra={"rows_in": stage.rows_in, "rows_per_second": round(stage.rows_in / max(seconds, 1e-9), 1)},
        )
    )
