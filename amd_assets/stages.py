"""What every per-source stage shares: its asset settings (partitioned by source, stored as its contract's Delta
table, its column schema shown in the UI) and how it writes its partition with its side rows. A new per-source
asset uses `per_source_asset` and `write_source_partition`; stage logic stays in the stage's own package."""

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from amd_assets.contracts.tables import TableContract
from amd_assets.metadata import column_schema
from amd_assets.partitions import source_partitions
from amd_assets.sinks import PartitionSink
from resources.lakehouse import LakehouseResource


def per_source_asset(contract: TableContract, group: str, **extra: Any) -> dict[str, Any]:
    """`@asset` keyword arguments for a stage partitioned by source and stored as `contract`'s Delta table."""
    return {
        "name": contract.name,
        "partitions_def": source_partitions,
        "group_name": group,
        "kinds": {"python", "deltalake"},
        "description": contract.description,
        "metadata": {"dagster/column_schema": column_schema(contract), "partition_column": "source"},
        **extra,
    }


def write_source_partition(
    lakehouse: LakehouseResource,
    contract: TableContract,
    source: str,
    batches: Iterable[pa.RecordBatch],
    side: PartitionSink,
) -> int:
    """Replace the source's partition, then the stage's side-table rows for it; returns the table's version."""
    version = lakehouse.replace_partition(
        contract.name, batches, contract.schema, {"source": source}, contract.partition_by
    )
    side.write(lakehouse)
    return version
