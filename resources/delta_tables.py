"""Delta Lake tables under one root URI: the storage every stage reads and writes, without Dagster.

`DeltaTables` holds the reads and writes; `Lakehouse` is the plain object commands such as `amd sql` use (no
Dagster import: they answer in a second), `resources.lakehouse.LakehouseResource` the Dagster resource. Both
take the same settings.

Partition replacement goes through an explicit predicate in a single commit (never the dagster-deltalake IO
manager, whose failed predicate can overwrite a whole table). Writes take a stream of record batches, so a
partition is never held in memory whole; an exception raised while producing the stream aborts the write
before the commit, leaving the previous version readable.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import TableNotFoundError

from resources.batch_stream import ProducedStream

BatchStream = Iterable[pa.RecordBatch]
DEFAULT_ROW_GROUP_ROWS = 16_384
# The Parquet codecs delta-rs writes (deltalake.WriterProperties); a typo fails when the resource is built.
ParquetCompression = Literal["UNCOMPRESSED", "SNAPPY", "GZIP", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
DEFAULT_COMPRESSION: ParquetCompression = "ZSTD"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def partition_predicate(partition: Mapping[str, str]) -> str:
    return " AND ".join(f"{column} = {sql_literal(value)}" for column, value in sorted(partition.items()))


def partition_filter(partition: Mapping[str, str]) -> ds.Expression:
    expression: ds.Expression | None = None
    for column, value in partition.items():
        term = ds.field(column) == value
        expression = term if expression is None else expression & term
    if expression is None:
        raise ValueError("a partition needs at least one column")
    return expression


class DeltaTables:
    """Tables named `<root>/<table>`; expects `root`, `storage_options`, `row_group_rows` and `compression`."""

    root: str
    storage_options: dict[str, str]
    row_group_rows: int
    compression: ParquetCompression

    @property
    def is_local(self) -> bool:
        return urlparse(self.root).scheme in ("", "file")

    def root_path(self) -> str:
        if self.is_local:
            return str(Path(self.root.removeprefix("file://")).expanduser().resolve())
        return self.root.rstrip("/")

    def table_uri(self, table: str) -> str:
        return f"{self.root_path()}/{table}"

    def _options(self) -> dict[str, str] | None:
        return dict(self.storage_options) or None

    def exists(self, table: str) -> bool:
        return DeltaTable.is_deltatable(self.table_uri(table), storage_options=self._options())

    def table(self, table: str, version: int | None = None) -> DeltaTable:
        return DeltaTable(self.table_uri(table), version=version, storage_options=self._options())

    def list_tables(self) -> list[str]:
        """Tables present under the root (local roots only; object stores list the known names)."""
        if not self.is_local:
            return []
        root = Path(self.root_path())
        if not root.is_dir():
            return []
        return sorted(p.parent.name for p in root.glob("*/_delta_log") if p.is_dir())

    # -- writes -------------------------------------------------------------------------------------------

    def replace_partition(
        self,
        table: str,
        batches: BatchStream,
        schema: pa.Schema,
        partition: Mapping[str, str],
        partition_by: list[str],
    ) -> int:
        """Replace exactly the rows of `partition` with `batches` in one commit; returns the new version."""
        stream = ProducedStream(batches, schema, partition)
        self._write(
            table, stream, mode="overwrite", partition_by=partition_by, predicate=partition_predicate(partition)
        )
        return self.version(table)

    def replace_table(self, table: str, batches: BatchStream, schema: pa.Schema, partition_by: list[str]) -> int:
        """Replace the whole table in one commit (global stages such as dedup)."""
        stream = ProducedStream(batches, schema)
        self._write(table, stream, mode="overwrite", partition_by=partition_by, predicate=None)
        return self.version(table)

    def append(self, table: str, batches: BatchStream, schema: pa.Schema, partition_by: list[str]) -> int:
        stream = ProducedStream(batches, schema)
        self._write(table, stream, mode="append", partition_by=partition_by, predicate=None)
        return self.version(table)

    def _write(
        self,
        table: str,
        stream: ProducedStream,
        mode: Literal["append", "overwrite"],
        partition_by: list[str],
        predicate: str | None,
    ) -> None:
        if self.is_local:
            os.makedirs(self.root_path(), exist_ok=True)
        try:
            uri, reader, options = self.table_uri(table), stream.reader(), self._options()
            properties = WriterProperties(max_row_group_size=self.row_group_rows, compression=self.compression)
            # two calls for write_deltalake's two overloads: only an overwrite takes a predicate
            if mode == "append":
                write_deltalake(
                    uri,
                    reader,
                    mode="append",
                    partition_by=partition_by or None,
                    storage_options=options,
                    writer_properties=properties,
                )
            else:
                write_deltalake(
                    uri,
                    reader,
                    mode="overwrite",
                    predicate=predicate,
                    partition_by=partition_by or None,
                    storage_options=options,
                    writer_properties=properties,
                )
        except Exception as error:
            if stream.error is not None:
                raise stream.error from error
            raise
        finally:
            stream.close()

    def delete_where(self, table: str, predicate: str) -> int:
        """Delete the rows matching a SQL `predicate` in one commit; returns how many were deleted."""
        metrics = self.table(table).delete(predicate)
        return int(metrics.get("num_deleted_rows", 0))

    # -- reads --------------------------------------------------------------------------------------------

    def dataset(self, table: str, version: int | None = None) -> ds.Dataset:
        return self.table(table, version).to_pyarrow_dataset()

    def scan(
        self,
        table: str,
        columns: list[str] | None = None,
        filter: ds.Expression | None = None,
        version: int | None = None,
        batch_size: int = 8192,
    ) -> Iterator[pa.RecordBatch]:
        """Stream record batches with column and predicate pushdown; nothing if the table does not exist."""
        try:
            dataset = self.dataset(table, version)
        except TableNotFoundError:
            return iter(())
        # Little readahead: throughput comes from the stage's own work, memory from what is buffered here.
        return iter(
            dataset.to_batches(
                columns=columns, filter=filter, batch_size=batch_size, batch_readahead=2, fragment_readahead=1
            )
        )

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        filter: ds.Expression | None = None,
        version: int | None = None,
    ) -> pa.Table:
        return self.dataset(table, version).to_table(columns=columns, filter=filter)

    def count(self, table: str, filter: ds.Expression | None = None, version: int | None = None) -> int:
        try:
            return self.dataset(table, version).count_rows(filter=filter)
        except TableNotFoundError:
            return 0

    def version(self, table: str) -> int:
        return self.table(table).version()

    def history(self, table: str, limit: int | None = None) -> list[dict[str, Any]]:
        return self.table(table).history(limit)

    def partition_files(self, table: str, partition: Mapping[str, str]) -> list[str]:
        """Data files of one partition: lets callers prove a write left other partitions untouched."""
        wanted = [(column, "=", value) for column, value in partition.items()]
        return sorted(self.table(table).file_uris(file_pruning_predicate=wanted))


@dataclass
class Lakehouse(DeltaTables):
    """The lakehouse as a plain object (what `LakehouseResource` is inside Dagster)."""

    root: str = "lakehouse"
    storage_options: dict[str, str] = field(default_factory=dict)
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS
    compression: ParquetCompression = DEFAULT_COMPRESSION
