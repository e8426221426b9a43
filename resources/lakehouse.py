"""The lakehouse as a Dagster resource: the settings of `resources.delta_tables.DeltaTables`, configurable from
the UI and `EnvVar`s; every read and write is `DeltaTables`'."""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from resources.delta_tables import (
    DEFAULT_COMPRESSION,
    DEFAULT_ROW_GROUP_ROWS,
    BatchStream,
    DeltaTables,
    Lakehouse,
    ParquetCompression,
    partition_filter,
    partition_predicate,
    sql_literal,
)

__all__ = [
    "BatchStream",
    "Lakehouse",
    "LakehouseResource",
    "partition_filter",
    "partition_predicate",
    "sql_literal",
]


class LakehouseResource(ConfigurableResource, DeltaTables):
    """Delta tables named `<root>/<table>`; root may be a local path or an s3://, gs://, az:// URI."""

    root: str = Field(default="lakehouse", description="Local folder or object-store URI holding the tables.")
    storage_options: dict[str, str] = Field(
        default_factory=dict, description="Passed through to delta-rs for S3/GCS/Azure credentials."
    )
    row_group_rows: int = Field(
        default=DEFAULT_ROW_GROUP_ROWS,
        description="Parquet row-group size. Readers hold a whole row group in memory, so with ~2 KB rows "
        "this bounds a scan to tens of MB instead of the writer's default of hundreds.",
    )
    compression: ParquetCompression = Field(
        default=DEFAULT_COMPRESSION, description="Parquet compression codec for data files."
    )
