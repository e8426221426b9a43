"""Build one release: pin the upstream Delta versions, derive the version, write the folder atomically, then
the `release_rows` partition of that version."""

import os
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from amd_assets.release.card import write_readme
from amd_assets.release.files import SPLITS, SplitWriter
from amd_assets.release.manifest import code_version, config_hash, describe_files, read_manifest, write_manifest
from amd_assets.release.source_tables import content_digest, pin_versions, release_connection
from amd_assets.release.store import ReleaseConfig, ReleaseStoreResource
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.release.versions import current_versions
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
    connection = release_connection(lakehouse, pinned, judge)
    digest = content_digest(connection)
    version = config.version or f"r-{digest[:12]}"
    target = store.path(version)
    created_at = _created_at(target, digest, config)
    staging = store.root_path() / f".tmp-{version}-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        built = _write_folder(connection, staging, version, config.rows_per_shard)
        built.delta_version = lakehouse.replace_partition(
            RELEASE_ROWS.name,
            _staged_batches(staging),
            RELEASE_ROWS.schema,
            {"release_version": version},
            RELEASE_ROWS.partition_by,
        )
        settings = config.model_dump(exclude={"overwrite"})
        built.manifest = {
            "release_version": version,
            "created_at": created_at,
            "content_sha256": digest,
            "upstream_delta_versions": pinned,
            "lakehouse": lakehouse.root_path(),
            "config": settings,
            "config_sha256": config_hash(settings),
            "verifiers": current_versions(judge),
            "code_version": code_version(),
            "rows": {"total": sum(built.rows_by_split.values()), "by_split": built.rows_by_split},
            "rows_by_source": built.rows_by_source,
            "files": describe_files(staging, _file_rows(staging)),
        }
        write_manifest(staging, built.manifest)
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    built.path = target
    return built


def _write_folder(connection: Any, staging: Path, version: str, rows_per_shard: int) -> BuiltRelease:
    columns = ", ".join(name for name in RELEASE_ROWS.schema.names if name != "release_version")
    built = BuiltRelease(version, staging, -1)
    files: list[str] = []
    for origin, split in SPLITS.items():
        query = f"SELECT ?::VARCHAR AS release_version, {columns} FROM release_candidates WHERE origin = ? "
        reader = connection.sql(query + "ORDER BY source, problem_id", params=[version, origin])
        batches = (batch.cast(RELEASE_ROWS.schema) for batch in reader.to_arrow_reader(BATCH_ROWS))
        writer = SplitWriter(staging, split, rows_per_shard)
        rows = writer.write(batches)
        if rows:
            built.rows_by_split[split] = rows
        files += writer.files
    sources = connection.execute("SELECT source, count(*) FROM release_candidates GROUP BY 1 ORDER BY 1").fetchall()
    built.rows_by_source = dict(sources)
    staged = ds.dataset(sorted(str(p) for p in staging.glob("parquet/*.parquet")), schema=RELEASE_ROWS.schema)
    connection.register("release_files", staged)
    write_readme(connection, staging, version, files)
    return built


def _staged_batches(staging: Path) -> Iterator[pa.RecordBatch]:
    for path in sorted(staging.glob("parquet/*.parquet")):
        yield from pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS)


def _file_rows(staging: Path) -> dict[str, int]:
    rows: Counter[str] = Counter()
    for path in staging.glob("parquet/*.parquet"):
        count = pq.ParquetFile(path).metadata.num_rows
        stem = path.name.removesuffix(".parquet")
        rows[f"parquet/{path.name}"] = count
        rows[f"jsonl/{stem}.jsonl.zst"] = count
    return dict(rows)
