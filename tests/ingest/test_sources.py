"""Reading sources: every supported format gives the same rows; bad rows are quarantined with file and line."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
import zstandard

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
from amd_assets.ingest.normalize_stage import NormalizeStage
from amd_assets.ingest.raw import RawIngest, problem_id
from amd_assets.registry import SourceFileError, load_registry
from amd_assets.sinks import QuarantineSink

RECORDS = [{"id": f"r{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i), "note": "é ✓"} for i in range(25)]
MAPPING = "    licence: MIT\n    category: math\n    fields: {id: id, prompt: question, reference_answer: answer}\n"


def write_formats(folder: Path) -> dict[str, str]:
    lines = b"".join(orjson.dumps(record) + b"\n" for record in RECORDS)
    (folder / "plain.jsonl").write_bytes(lines)
    (folder / "gzipped.jsonl.gz").write_bytes(gzip.compress(lines))
    (folder / "zstd.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(lines))
    pq.write_table(pa.Table.from_pylist(RECORDS), folder / "table.parquet", row_group_size=7)
    with open(folder / "table.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(RECORDS[0]))
        writer.writeheader()
        writer.writerows(RECORDS)
    return {
        "plain": "plain.jsonl",
        "gzipped": "gzipped.jsonl.gz",
        "zstd": "zstd.jsonl.zst",
        "parquet": "table.parquet",
        "csv": "table.csv",
    }


def ingest(
    registry_path: Path, lakehouse, source: str
) -> tuple[RawIngest, QuarantineSink, NormalizeStage, QuarantineSink]:
    registry = load_registry(registry_path)
    raw_quarantine, norm_quarantine = QuarantineSink(source, "read"), QuarantineSink(source, "normalize")
    raw = RawIngest(registry, source, raw_quarantine)
    lakehouse.replace_partition(RAW_PROBLEMS.name, raw.batches(), RAW_PROBLEMS.schema, {"source": source}, ["source"])
    raw_quarantine.write(lakehouse)
    stage = NormalizeStage(lakehouse, registry.get(source), norm_quarantine)
    lakehouse.replace_partition(
        NORMALIZED_PROBLEMS.name, stage.batches(), NORMALIZED_PROBLEMS.schema, {"source": source}, ["source"]
    )
    norm_quarantine.write(lakehouse)
    return raw, raw_quarantine, stage, norm_quarantine


def normalized(lakehouse, source: str) -> list[dict[str, object]]:
    table = lakehouse.read(NORMALIZED_PROBLEMS.name, filter=ds.field("source") == source)
    return sorted(table.to_pylist(), key=lambda row: row["source_row"])


def test_every_format_yields_the_same_canonical_rows(tmp_path, lakehouse):
    files = write_formats(tmp_path)
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "sources:\n" + "".join(f"  {name}:\n    path: {file}\n{MAPPING}" for name, file in files.items())
    )
    seen = {}
    for name in files:
        ingest(registry, lakehouse, name)
        rows = normalized(lakehouse, name)
        seen[name] = [(r["row_key"], r["prompt"], r["reference_answer"], r["metadata"]) for r in rows]
        assert [r["source_row"] for r in rows] == (list(range(2, 27)) if name == "csv" else list(range(1, 26))), (
            "JSONL rows are lines, CSV rows are lines after the header, Parquet rows are row numbers"
        )
        assert {r["source_file"] for r in rows} == {files[name]}
    assert all(rows == seen["plain"] for rows in seen.values())
    assert seen["plain"][3] == ("r3", "What is 3 + 3?", "6", '{"note":"é ✓"}')


def test_problem_ids_are_stable_hashes_of_source_and_row_key(tmp_path, lakehouse):
    (tmp_path / "a.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in RECORDS))
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"sources:\n  src:\n    path: a.jsonl\n{MAPPING}")
    ingest(registry, lakehouse, "src")
    first = [r["problem_id"] for r in normalized(lakehouse, "src")]
    ingest(registry, lakehouse, "src")
    assert [r["problem_id"] for r in normalized(lakehouse, "src")] == first
    assert first[0] == problem_id("src", "r0")
    # The id function is a contract: stored ids must not change between releases of the code.
    assert problem_id("gsm8k", "0") == "d1e6372e64aa50ec3bea441b"


def test_source_without_id_field_keys_rows_by_file_and_line(tmp_path, lakehouse):
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(orjson.dumps({"question": q}) for q in ("x", "y")))
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "sources:\n  src:\n    path: a.jsonl\n    licence: MIT\n    category: math\n    fields: {prompt: question}\n"
    )
    ingest(registry, lakehouse, "src")
    assert [r["row_key"] for r in normalized(lakehouse, "src")] == ["a.jsonl:1", "a.jsonl:2"]


def test_csv_bad_rows_are_quarantined_with_their_line(tmp_path, lakehouse):
    (tmp_path / "t.csv").write_bytes(
        b'id,question,answer\n1,"A question\nthat spans two lines",2\n2,too,many,fields\n3,caf\xe9,1\n4,fine,4\n'
    )
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"sources:\n  src:\n    path: t.csv\n{MAPPING}")
    ingest(registry, lakehouse, "src")
    quarantined = lakehouse.read("quarantine").to_pylist()
    assert sorted((q["source_row"], q["error_type"]) for q in quarantined) == [
        (4, "wrong_field_count"),
        (5, "invalid_utf8"),
    ]
    assert "caf\\xe9" in next(q["raw_text"] for q in quarantined if q["error_type"] == "invalid_utf8")
    assert [(r["source_row"], r["row_key"]) for r in normalized(lakehouse, "src")] == [(2, "1"), (6, "4")]


def test_a_file_that_cannot_be_read_fails_naming_the_file(tmp_path, lakehouse):
    (tmp_path / "broken.jsonl.gz").write_bytes(b"this is not gzip data at all")
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"sources:\n  src:\n    path: broken.jsonl.gz\n{MAPPING}")
    with pytest.raises(SourceFileError, match=r"broken\.jsonl\.gz: cannot read the file: BadGzipFile"):
        ingest(registry, lakehouse, "src")
    assert not lakehouse.exists(RAW_PROBLEMS.name)


def test_a_truncated_compressed_file_fails_naming_the_file(tmp_path, lakehouse):
    data = gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in RECORDS * 40))
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    registry = tmp_path / "sources.yaml"
    registry.write_text(f"sources:\n  src:\n    path: cut.jsonl.gz\n{MAPPING}")
    with pytest.raises(SourceFileError, match=r"cut\.jsonl\.gz: cannot read the file"):
        ingest(registry, lakehouse, "src")
