"""The lakehouse contract: predicate overwrite of one partition in one commit, streamed, crash-safe."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from resources.batch_stream import PartitionMismatchError
from resources.lakehouse import LakehouseResource

SCHEMA = pa.schema(
    [pa.field("source", pa.string(), False), pa.field("n", pa.int64(), False), pa.field("s", pa.string())]
)


def batches(source: str, rows: int, per_batch: int = 3, fail_after: int | None = None) -> Iterator[pa.RecordBatch]:
    for start in range(0, rows, per_batch):
        if fail_after is not None and start >= fail_after:
            raise RuntimeError("producer died mid-write")
        numbers = list(range(start, min(start + per_batch, rows)))
        yield pa.record_batch(
            {"source": [source] * len(numbers), "n": numbers, "s": [f"{source}-{i}" for i in numbers]}, schema=SCHEMA
        )


def write(lakehouse: LakehouseResource, source: str, rows: int, **kwargs: int) -> int:
    return lakehouse.replace_partition("t", batches(source, rows, **kwargs), SCHEMA, {"source": source}, ["source"])


def rows_of(lakehouse: LakehouseResource, source: str, version: int | None = None) -> list[dict[str, object]]:
    table = lakehouse.read("t", filter=ds.field("source") == source, version=version)
    return sorted(table.to_pylist(), key=lambda row: row["n"])


def test_replacing_a_partition_twice_gives_identical_rows_and_leaves_others_untouched(lakehouse):
    write(lakehouse, "a", 10)
    write(lakehouse, "b", 7)
    files_of_b = lakehouse.partition_files("t", {"source": "b"})
    first = rows_of(lakehouse, "a")

    write(lakehouse, "a", 10)
    write(lakehouse, "a", 10)

    assert rows_of(lakehouse, "a") == first
    assert len(first) == 10
    assert lakehouse.count("t") == 17
    assert lakehouse.partition_files("t", {"source": "b"}) == files_of_b


def test_each_replacement_is_a_single_commit(lakehouse):
    write(lakehouse, "a", 10, per_batch=2)
    before = lakehouse.version("t")
    version = write(lakehouse, "a", 12, per_batch=2)
    assert version == before + 1
    assert lakehouse.history("t", 1)[0]["operationParameters"]["predicate"] == "source = 'a'"


def test_exception_mid_write_leaves_previous_version_readable(lakehouse):
    write(lakehouse, "a", 10)
    version = lakehouse.version("t")
    before = rows_of(lakehouse, "a")

    with pytest.raises(RuntimeError, match="producer died mid-write"):
        write(lakehouse, "a", 30, fail_after=12)

    assert lakehouse.version("t") == version
    assert rows_of(lakehouse, "a") == before


def test_rows_outside_the_partition_are_refused_and_nothing_is_committed(lakehouse):
    write(lakehouse, "a", 4)
    write(lakehouse, "b", 4)
    version = lakehouse.version("t")
    with pytest.raises(PartitionMismatchError, match="source in \\['b'\\]"):
        lakehouse.replace_partition("t", batches("b", 4), SCHEMA, {"source": "a"}, ["source"])
    assert lakehouse.version("t") == version
    assert len(rows_of(lakehouse, "a")) == 4


def test_empty_stream_clears_the_partition(lakehouse):
    write(lakehouse, "a", 4)
    write(lakehouse, "b", 2)
    lakehouse.replace_partition("t", iter([]), SCHEMA, {"source": "a"}, ["source"])
    assert rows_of(lakehouse, "a") == []
    assert len(rows_of(lakehouse, "b")) == 2


def test_append_and_time_travel(lakehouse):
    v0 = lakehouse.append("t", batches("a", 3), SCHEMA, ["source"])
    v1 = lakehouse.append("t", batches("a", 2), SCHEMA, ["source"])
    assert v1 == v0 + 1
    assert lakehouse.count("t") == 5
    assert lakehouse.count("t", version=v0) == 3
    assert len(rows_of(lakehouse, "a", version=v0)) == 3


def test_scan_pushes_down_columns_and_filters(lakehouse):
    write(lakehouse, "a", 10)
    write(lakehouse, "b", 10)
    batches_read = list(lakehouse.scan("t", columns=["n"], filter=(ds.field("source") == "b") & (ds.field("n") >= 8)))
    table = pa.Table.from_batches(batches_read)
    assert table.column_names == ["n"]
    assert sorted(table.column("n").to_pylist()) == [8, 9]


def test_scan_of_a_missing_table_yields_nothing(lakehouse):
    assert list(lakehouse.scan("nope")) == []
    assert lakehouse.count("nope") == 0
    assert not lakehouse.exists("nope")


def test_a_producer_may_read_another_table_while_writing(lakehouse):
    """delta-rs pulls the stream inside its async runtime; reading Delta from the producer must still work."""
    write(lakehouse, "a", 6)

    def copied() -> Iterator[pa.RecordBatch]:
        for batch in lakehouse.scan("t", filter=ds.field("source") == "a"):
            yield batch.set_column(0, "source", pa.array(["c"] * batch.num_rows))

    lakehouse.replace_partition("t", copied(), SCHEMA, {"source": "c"}, ["source"])
    assert [row["s"] for row in rows_of(lakehouse, "c")] == [f"a-{i}" for i in range(6)]


def test_list_tables_and_uri(lakehouse, tmp_path):
    write(lakehouse, "a", 1)
    assert lakehouse.list_tables() == ["t"]
    assert lakehouse.table_uri("t") == str(tmp_path / "lakehouse" / "t")
