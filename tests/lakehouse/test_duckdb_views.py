"""Every lakehouse table is a DuckDB view named after it, read through pyarrow (no extension download)."""

from __future__ import annotations

import pyarrow as pa

from resources.lakehouse_sql import LakehouseDuckDB

SCHEMA = pa.schema([pa.field("source", pa.string(), False), pa.field("n", pa.int64(), False)])


def test_tables_are_views_named_after_them(lakehouse):
    for source, n in (("a", 3), ("b", 2)):
        data = pa.record_batch({"source": [source] * n, "n": list(range(n))}, schema=SCHEMA)
        lakehouse.replace_partition("numbers", iter([data]), SCHEMA, {"source": source}, ["source"])
        lakehouse.replace_partition("copies", iter([data]), SCHEMA, {"source": source}, ["source"])

    resource = LakehouseDuckDB(lakehouse=lakehouse)
    with resource.get_connection() as connection:
        counts = connection.sql("SELECT source, count(*) FROM numbers GROUP BY 1 ORDER BY 1").fetchall()
        joined = connection.execute("SELECT count(*) FROM numbers JOIN copies USING (source, n)").fetchone()
    assert counts == [("a", 3), ("b", 2)]
    assert joined == (5,)


def test_views_follow_a_pinned_version(lakehouse):
    import duckdb

    from resources.duckdb_views import register_lakehouse_views

    data = pa.record_batch({"source": ["a"], "n": [1]}, schema=SCHEMA)
    v0 = lakehouse.append("numbers", iter([data]), SCHEMA, ["source"])
    lakehouse.append("numbers", iter([data]), SCHEMA, ["source"])
    connection = duckdb.connect()
    register_lakehouse_views(connection, lakehouse, ["numbers"], versions={"numbers": v0})
    assert connection.execute("SELECT count(*) FROM numbers").fetchone() == (1,)


def test_a_missing_table_can_stand_in_as_an_empty_one(lakehouse):
    import duckdb

    from resources.duckdb_views import register_lakehouse_views

    connection = duckdb.connect()
    assert register_lakehouse_views(connection, lakehouse, ["numbers"]) == []
    registered = register_lakehouse_views(connection, lakehouse, ["numbers"], empty_when_missing={"numbers": SCHEMA})
    assert registered == ["numbers"]
    assert connection.execute("SELECT count(*), count(n) FROM numbers WHERE source = 'a'").fetchone() == (0, 0)
