"""Global dedup over every source's signatures: exact duplicates by text hash, then MinHash-LSH near-duplicates.

Each cluster keeps one problem, chosen by source priority, then having a reference answer or tests, then
having an existing trace, then the smallest problem_id; every other member is rejected pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from amd_assets.contracts.tables import DEDUP_DECISIONS, PROBLEM_SIGNATURES, REJECTIONS
from amd_assets.curation.lsh import connected_labels, near_duplicate_clusters
from amd_assets.curation.settings import DedupSettings
from resources.lakehouse import LakehouseResource


class StaleSignaturesError(RuntimeError):
    """Some sources' signatures were computed with other dedup settings."""


@dataclass
class DedupResult:
    decisions: pa.Table
    rejections: pa.Table
    problems: int
    clusters: int


def signature_matrix(column: pa.ChunkedArray, num_perm: int) -> np.ndarray:
    """Zero-copy view of equal-length binary signatures as an (n, num_perm) matrix."""
    array = column.combine_chunks()
    if len(array) == 0:
        return np.zeros((0, num_perm), dtype=np.uint32)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[array.offset : array.offset + len(array) + 1]
    width = int(offsets[1] - offsets[0])
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    if len(data) != width * len(array):
        raise ValueError("signatures of different lengths: recompute problem_signatures")
    itemsize = width // num_perm
    return data.view(np.dtype(f"<u{itemsize}")).reshape(len(array), num_perm)


def preference(table: pa.Table, priorities: dict[str, int]) -> list[np.ndarray]:
    """`np.lexsort` keys (least significant first) ordering rows best-first: the highest-priority source, then
    having a reference answer or tests, then an existing trace, then the smallest problem_id. `table` has
    `problem_id`, `source`, `has_reference` and `has_trace` (the rule shared by exact/MinHash and semantic dedup)."""
    sources = table.column("source").to_numpy(zero_copy_only=False)
    priority = np.array([priorities.get(source, 0) for source in sources], dtype=np.int64)
    has_reference = table.column("has_reference").to_numpy(zero_copy_only=False).astype(np.int8)
    has_trace = table.column("has_trace").to_numpy(zero_copy_only=False).astype(np.int8)
    return [table.column("problem_id").to_numpy(zero_copy_only=False), -has_trace, -has_reference, -priority]


def representatives(
    table: pa.Table, cluster: np.ndarray, priorities: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, int]:
    """The kept row of each row's cluster (its best row by `preference`), each row's cluster size, and the number
    of clusters; `cluster` labels the rows of `table`."""
    n = table.num_rows
    # Sort by cluster, then best representative first; the first row of each cluster is kept.
    order = np.lexsort((*preference(table, priorities), cluster))
    starts = np.r_[True, cluster[order][1:] != cluster[order][:-1]] if n else np.zeros(0, dtype=bool)
    kept_of_cluster = np.zeros(n, dtype=np.int64)
    kept_rows = order[starts]
    kept_of_cluster[cluster[kept_rows]] = kept_rows
    sizes = np.bincount(cluster, minlength=n)[cluster] if n else np.zeros(0, dtype=np.int64)
    return kept_of_cluster[cluster], sizes, int(starts.sum())


def deduplicate(lakehouse: LakehouseResource, settings: DedupSettings, priorities: dict[str, int]) -> DedupResult:
    columns = [
        "problem_id",
        "source",
        "source_file",
        "source_row",
        "text_hash",
        "minhash",
        "minhash_config",
        "has_reference",
        "has_trace",
    ]
    table = lakehouse.read(PROBLEM_SIGNATURES.name, columns=columns)
    other_settings = pc.not_equal(table.column("minhash_config"), settings.cache_key())
    stale = sorted(set(table.column("source").filter(other_settings).to_pylist()))
    if stale:
        raise StaleSignaturesError(
            f"problem_signatures of {stale} were computed with other settings than {settings.cache_key()!r}: "
            "re-materialize those partitions first"
        )
    n = table.num_rows
    hashes = table.column("text_hash").to_numpy(zero_copy_only=False)
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    exact_pairs = np.stack((np.arange(n), first[inverse]), axis=1)  # each row to the first row with its text
    unique_rows = np.sort(first)
    matrix = signature_matrix(table.column("minhash"), settings.num_perm)
    # LSH over one row per distinct text; its pairs are positions among unique_rows.
    _, near = near_duplicate_clusters(matrix[unique_rows], settings.threshold)
    near_pairs = np.stack((unique_rows[near["i"]], unique_rows[near["j"]]), axis=1)
    cluster = connected_labels(n, np.concatenate((exact_pairs, near_pairs)).astype(np.int64))

    kept, sizes, clusters = representatives(table, cluster, priorities)
    leading = kept_columns(table, kept)
    is_kept = leading["is_kept"]
    exact = hashes == hashes[kept]
    similarity = np.where(exact, 1.0, (matrix == matrix[kept]).mean(axis=1)) if n else np.zeros(0)
    reason = np.where(exact, "exact_duplicate", "near_duplicate")
    decisions = pa.table(
        {
            **leading,
            "reason": pa.array(reason, pa.string(), mask=is_kept),
            "similarity": pa.array(similarity, pa.float64(), mask=is_kept),
            "cluster_size": sizes.astype(np.int32),
        },
        schema=DEDUP_DECISIONS.schema,
    )
    return DedupResult(decisions, _rejections(table, decisions), n, clusters)


def kept_columns(table: pa.Table, kept: np.ndarray) -> dict[str, np.ndarray]:
    """The leading columns of a dedup decision (exact/MinHash and semantic alike): each row's problem and source,
    the kept problem of its cluster and that problem's source, and whether the row is the kept one."""
    ids = table.column("problem_id").to_numpy(zero_copy_only=False)
    sources = table.column("source").to_numpy(zero_copy_only=False)
    return {
        "problem_id": ids,
        "source": sources,
        "kept_problem_id": ids[kept],
        "kept_source": sources[kept],
        "is_kept": kept == np.arange(len(kept)),
    }


def _rejections(signatures: pa.Table, decisions: pa.Table) -> pa.Table:
    """One `rejections` row per dropped duplicate, naming the problem it duplicates."""
    return duplicate_rejections(signatures, decisions, decisions.column("reason"))


def duplicate_rejections(
    lineage: pa.Table, decisions: pa.Table, reasons: pa.ChunkedArray, extra: dict[str, str] | None = None
) -> pa.Table:
    """`rejections` rows (stage `dedup`) for the dropped rows of `decisions` (problem_id, source, kept_problem_id,
    kept_source, is_kept, similarity); `lineage` holds their source_file/source_row in the same row order."""
    dropped = pc.invert(decisions.column("is_kept"))
    lost = decisions.filter(dropped)
    lineage = lineage.filter(dropped)
    details = [
        orjson.dumps(
            {"kept_problem_id": kept, "kept_source": kept_source, "similarity": round(similarity, 4), **(extra or {})},
            option=orjson.OPT_SORT_KEYS,
        ).decode()
        for kept, kept_source, similarity in zip(
            lost.column("kept_problem_id").to_pylist(),
            lost.column("kept_source").to_pylist(),
            lost.column("similarity").to_pylist(),
            strict=True,
        )
    ]
    return pa.table(
        {
            "problem_id": lost.column("problem_id"),
            "source": lost.column("source"),
            "source_file": lineage.column("source_file"),
            "source_row": lineage.column("source_row"),
            "stage": ["dedup"] * lost.num_rows,
            "reason": reasons.filter(dropped),
            "detail": details,
        },
        schema=REJECTIONS.schema,
    )
