"""Stream the rows of one source file (JSONL plain/.gz/.zst, Parquet, CSV) without loading it whole.

Each row comes out as a `SourceRow`: its 1-based line (JSONL, CSV: the physical line where the record starts;
Parquet: the row number), its JSON text and the parsed object — or, for a malformed row, the error that sends
it to quarantine. A file that cannot be opened or decompressed fails with a `SourceFileError` naming it.
A new file format is a reader function here plus its suffix in `registry/load.py:FORMAT_SUFFIXES`.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq
import zstandard

from amd_assets.registry import SourceFileError

PARQUET_BATCH_ROWS = 4096
BOM = b"\xef\xbb\xbf"

csv.field_size_limit(sys.maxsize)


@dataclass(slots=True)
class SourceRow:
    row: int
    text: bytes
    record: dict[str, Any] | None = None
    error_type: str | None = None
    error: str | None = None


@dataclass
class ReadStats:
    files: int = 0
    rows: int = 0
    blank_lines: int = 0


def read_source_file(path: Path, fmt: str, compression: str | None, stats: ReadStats) -> Iterator[SourceRow]:
    stats.files += 1
    readers = {"jsonl": _jsonl_rows, "csv": _csv_rows, "parquet": _parquet_rows}
    with _failures_name(path):
        for row in readers[fmt](path, compression, stats):
            stats.rows += 1
            yield row


@contextmanager
def _failures_name(path: Path) -> Iterator[None]:
    try:
        yield
    except SourceFileError:
        raise
    except (OSError, EOFError, zlib.error, zstandard.ZstdError, ValueError) as error:
        raise SourceFileError(f"{path}: cannot read the file: {type(error).__name__}: {error}") from error


@contextmanager
def open_binary(path: Path, compression: str | None) -> Iterator[gzip.GzipFile | io.BufferedReader]:
    with open(path, "rb") as raw:
        if compression == "gz":
            with gzip.GzipFile(fileobj=raw) as stream:
                yield stream
        elif compression == "zst":
            with zstandard.ZstdDecompressor().stream_reader(raw) as stream:
                yield io.BufferedReader(stream)
        else:
            yield raw


def utf8_error(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"invalid UTF-8 at byte {error.start}: {error.reason}"
    return None


def _jsonl_rows(path: Path, compression: str | None, stats: ReadStats) -> Iterator[SourceRow]:
    with open_binary(path, compression) as stream:
        for number, line in enumerate(stream, 1):
            body = line.rstrip(b"\r\n")
            if number == 1 and body.startswith(BOM):
                body = body[len(BOM) :]
            if not body.strip():
                stats.blank_lines += 1
                continue
            try:
                record = orjson.loads(body)
            except orjson.JSONDecodeError as error:
                invalid = utf8_error(body)
                if invalid:
                    yield SourceRow(number, body, error_type="invalid_utf8", error=invalid)
                else:
                    yield SourceRow(number, body, error_type="bad_json", error=f"not valid JSON: {error}")
                continue
            if not isinstance(record, dict):
                kind = type(record).__name__
                yield SourceRow(number, body, error_type="not_an_object", error=f"expected a JSON object, got {kind}")
                continue
            yield SourceRow(number, body, record)


def _csv_rows(path: Path, compression: str | None, stats: ReadStats) -> Iterator[SourceRow]:
    with open_binary(path, compression) as stream:
        # surrogateescape keeps undecodable bytes so one bad row is quarantined instead of failing the file.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            return
        start = reader.line_num + 1
        for values in reader:
            number, start = start, reader.line_num + 1
            if not values:
                stats.blank_lines += 1
                continue
            joined = ",".join(values)
            try:
                raw = joined.encode("utf-8")
            except UnicodeEncodeError:
                raw = joined.encode("utf-8", "surrogateescape")
                yield SourceRow(number, raw, error_type="invalid_utf8", error=utf8_error(raw) or "invalid UTF-8")
                continue
            if len(values) != len(header):
                error = f"expected {len(header)} fields (header), got {len(values)}"
                yield SourceRow(number, raw, error_type="wrong_field_count", error=error)
                continue
            record = dict(zip(header, values, strict=True))
            yield SourceRow(number, orjson.dumps(record), record)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _parquet_rows(path: Path, compression: str | None, stats: ReadStats) -> Iterator[SourceRow]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for record in batch.to_pylist():
            number += 1
            text = orjson.dumps(record, default=_json_default, option=orjson.OPT_NON_STR_KEYS)
            yield SourceRow(number, text, record)
