"""Build one release: pin the upstream Delta versions, derive the version, write the folder and the
`release_rows` partition of that version in one pass, then publish the folder atomically."""

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from amd_assets.release.card import write_readme
from amd_assets.release.files import JSON_COLUMN, SPLITS, SplitWriter
from amd_assets.release.manifest import code_version, config_hash, describe_files, read_manifest, write_manifest
from amd_assets.release.rows_writer import ReleaseRowsWriter
from amd_assets.release.source_tables import content_digest, pin_versions, release_connection, released_sources
from amd_assets.release.store import ReleaseConfig, ReleaseStoreResource
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource

BATCH_ROWS = 8192


class ReleaseConflict(Exception):
    """A named version already exists with other content and overwrite is off."""


@dataclass
class BuiltRelease:
    version: str
    path: Path
    delta_version: int
    rows_by_split: dict[str, int] = field(default_factory=dict)
    rows_by_source: dict[str, int] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


def _created_at(target: Path, digest: str, config: ReleaseConfig) -> str:
    """Keep the existing timestamp when the content is the same, so a re-run rewrites identical files."""
    if not target.exists():
        return datetime.now(UTC).isoformat(timespec="seconds")
    existing = read_manifest(target) or {}
    if existing.get("content_sha256") == digest:
        return str(existing["created_at"])
    if not config.overwrite:
        raise ReleaseConflict(
            f"release {target.name!r} already exists at {target} with different content "
            f"(content_sha256 {existing.get('content_sha256', 'none: no manifest')} != {digest}); choose another "
            "version, leave `version` empty for a content-derived one, or set `overwrite: true`"
        )
    return datetime.now(UTC).isoformat(timespec="seconds")


def _publish(staging: Path, target: Path) -> None:
    """Swap the staged folder in; the old one is moved aside first because rename cannot replace a folder."""
    aside = target.with_name(f".old-{target.name}-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, aside)
    os.replace(staging, target)
    shutil.rmtree(aside, ignore_errors=True)


def build_release(
    lakehouse: LakehouseResource, store: ReleaseStoreResource, judge: JudgeResource, config: ReleaseConfig
) -> BuiltRelease:
    pinned = pin_versions(lakehouse)
    missing = config.missing_sources
    if not released_sources(lakehouse, pinned, missing):
        raise ValueError(f"nothing to release: no source has distilled samples once {sorted(missing)} are left out")
    digest = content_digest(lakehouse, pinned, judge, missing)
    version = config.version or f"r-{digest[:12]}"
    target = store.path(version)
    created_at = _created_at(target, digest, config)
    staging = store.root_path() / f".tmp-{version}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        built = _write_folder(lakehouse, pinned, judge, staging, version, config)
        settings = config.model_dump(exclude={"overwrite"})
        built.manifest = {
            "release_version": version,
            "created_at": created_at,
            "content_sha256": digest,
            "upstream_delta_versions": pinned,
            "lakehouse": lakehouse.root_path(),
            "config": settings,
            "config_sha256": config_hash(settings),
            "verifiers": Acceptance(judge).current_verdicts(),
            "code_version": code_version(),
            "rows": {"total": sum(built.rows_by_split.values()), "by_split": built.rows_by_split},
            "rows_by_source": built.rows_by_source,
            "missing_sources": dict(sorted(missing.items())),
            "files": describe_files(staging, _file_rows(staging)),
        }
        write_manifest(staging, built.manifest)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    built.path = target
    return built


def _write_folder(
    lakehouse: LakehouseResource,
    pinned: dict[str, int],
    judge: JudgeResource,
    staging: Path,
    version: str,
    config: ReleaseConfig,
) -> BuiltRelease:
    """Both splits' files and the `release_rows` partition in one pass over the sources, then the card."""
    built = BuiltRelease(version, staging, -1)
    writers = {origin: SplitWriter(staging, split, config.rows_per_shard) for origin, split in SPLITS.items()}
    rows = ReleaseRowsWriter(lakehouse, version)
    try:
        for batch in _release_batches(lakehouse, pinned, judge, version, config.missing_sources, built):
            for origin, part in _by_origin(batch):
                writers[origin].write(part)
            rows.put(batch)
    except BaseException:
        rows.abort()
        raise
    finally:
        for writer in writers.values():
            writer.close()
    built.delta_version = rows.close()
    built.rows_by_split = {w.split: w.rows for w in writers.values() if w.rows}
    built.rows_by_source = dict(sorted(built.rows_by_source.items()))
    files = [name for writer in writers.values() for name in writer.files]
    staged = ds.dataset(sorted(str(p) for p in staging.glob("parquet/*.parquet")), schema=RELEASE_ROWS.schema)
    with duckdb.connect(":memory:") as connection:  # the card reads the written files and the pinned verdicts
        connection.register("release_files", staged)
        connection.register("response_verdicts", lakehouse.dataset("response_verdicts", pinned["response_verdicts"]))
        connection.register("current_versions", pa.Table.from_pylist(Acceptance(judge).current_verdicts()))
        write_readme(connection, staging, version, files, config.missing_sources)
    return built


def _release_batches(
    lakehouse: LakehouseResource,
    pinned: dict[str, int],
    judge: JudgeResource,
    version: str,
    missing: dict[str, str],
    built: BuiltRelease,
) -> Iterator[pa.RecordBatch]:
    """The release rows with their JSONL lines, ordered by (source, origin, problem_id), so each split's files
    get their rows in (source, problem_id) order and a re-run writes identical files. One source at a time (its
    own connection over that source's partitions): the joins and the sort never hold the whole release."""
    columns = ", ".join(name for name in RELEASE_ROWS.schema.names if name != "release_version")
    query = f"SELECT ?::VARCHAR AS release_version, {columns}, {JSON_COLUMN} FROM release_ordered"
    for source in released_sources(lakehouse, pinned, missing):
        with release_connection(lakehouse, pinned, judge, source) as connection:
            for batch in connection.sql(query, params=[version]).to_arrow_reader(BATCH_ROWS):
                built.rows_by_source[source] = built.rows_by_source.get(source, 0) + batch.num_rows
                yield batch


def _by_origin(batch: pa.RecordBatch) -> Iterator[tuple[str, pa.RecordBatch]]:
    """The batch cut by origin (it is sorted by origin: one cut at most)."""
    origins = batch.column("origin")
    for origin in SPLITS:
        part = batch.filter(pc.equal(origins, origin))
        if part.num_rows:
            yield origin, part


def _file_rows(staging: Path) -> dict[str, int]:
    rows: Counter[str] = Counter()
    for path in staging.glob("parquet/*.parquet"):
        count = pq.ParquetFile(path).metadata.num_rows
        stem = path.name.removesuffix(".parquet")
        rows[f"parquet/{path.name}"] = count
        rows[f"jsonl/{stem}.jsonl.zst"] = count
    return dict(rows)
