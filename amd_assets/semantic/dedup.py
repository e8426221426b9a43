"""Global semantic dedup over the exact/MinHash survivors: embeddings -> ANN candidate pairs -> the pair rule
(amd_assets/semantic/rule.py: cosine floors plus the problems' content tokens) -> clusters -> kept problems by
dedup's priority rule.

Clusters are the connected components of the confirmed pairs. Two ways to choose what a cluster keeps:

- `leader` (default): problems are visited best-first (dedup's priority rule); one is dropped when a problem
  already kept is among its confirmed pairs, and points at the most similar such problem, else it is kept. A
  tight cluster keeps one problem; a chain (A~B, B~C, A and C far apart) keeps what is not similar to anything
  kept, so every rejection names a problem it was itself confirmed a duplicate of.
- `union_find`: one problem per component, however long the chain (the textbook rule). On 7,042 real MATH /
  GSM8K / MBPP / HumanEval problems with the plain 0.83 rule it dropped 1,773 with a largest cluster of 203
  (LaTeX-vector problems chained together), against 1,333 and at most 20 per kept problem for `leader`.

Every dropped problem is rejected (stage `dedup`, reason `semantic_duplicate`) naming the kept problem, the cosine
between the two, the rule that confirmed the pair and how many content tokens differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from amd_assets.contracts.tables import (
    DECONTAMINATED_PROBLEMS,
    DEDUP_DECISIONS,
    PROBLEM_EMBEDDINGS,
    PROBLEM_SIGNATURES,
    SEMANTIC_DEDUP_DECISIONS,
)
from amd_assets.curation.dedup import duplicate_rejections, kept_columns, preference, representatives
from amd_assets.curation.lsh import connected_labels
from amd_assets.semantic.content import content_tokens
from amd_assets.semantic.embeddings import stale_sources
from amd_assets.semantic.neighbours import IndexSettings, exact_cosines, pairs_above
from amd_assets.semantic.rule import RULES, ContentIndex, PairVerdicts, judge, rule_name
from amd_assets.semantic.vectors import matrix_of
from resources.embeddings.thresholds import DedupCosines
from resources.lakehouse import LakehouseResource

STAGE, REASON = "dedup", "semantic_duplicate"


class StaleEmbeddingsError(RuntimeError):
    """Some dedup survivors have no embedding under the current model: their sources need problem_embeddings."""


@dataclass
class SemanticResult:
    decisions: pa.Table
    rejections: pa.Table
    problems: int
    clusters: int
    candidates: int  # pairs the index proposed (cosine >= the rule's lowest floor)
    pairs: int  # candidates the rule confirmed
    pairs_by_rule: dict[str, int]
    dedup_version: int


@dataclass(frozen=True)
class Model:
    key: str
    dim: int
    cosines: DedupCosines


def survivors(lakehouse: LakehouseResource) -> tuple[pa.Table, int]:
    """Kept rows of dedup_decisions joined with their lineage and priority flags, sorted by problem_id."""
    version = lakehouse.version(DEDUP_DECISIONS.name)
    kept = lakehouse.read(
        DEDUP_DECISIONS.name, columns=["problem_id", "source"], filter=pc.field("is_kept"), version=version
    ).sort_by("problem_id")
    flags = lakehouse.read(
        PROBLEM_SIGNATURES.name, columns=["problem_id", "source_file", "source_row", "has_reference", "has_trace"]
    )
    at = pc.index_in(kept.column("problem_id"), value_set=flags.column("problem_id"))
    if at.null_count:
        raise StaleEmbeddingsError("dedup_decisions names problems without signatures: re-run dedup_decisions")
    for name in flags.column_names[1:]:
        kept = kept.append_column(name, flags.column(name).take(at))
    return kept, version


def vectors_of(lakehouse: LakehouseResource, table: pa.Table, model: Model) -> np.ndarray:
    """(n, dim) float16 matrix of `table`'s problems under `model`, in `table`'s row order."""
    stored = lakehouse.read(
        PROBLEM_EMBEDDINGS.name, columns=["problem_id", "embedding"], filter=pc.field("model") == model.key
    )
    stale = stale_sources(table.select(["problem_id", "source"]), stored.column("problem_id"))
    if stale:
        raise StaleEmbeddingsError(
            f"problem_embeddings of {stale} lack dedup survivors under model {model.key!r}: materialize "
            "problem_embeddings for those sources (job prepare_sources) first"
        )
    at = pc.index_in(table.column("problem_id"), value_set=stored.column("problem_id"))
    return matrix_of(stored.column("embedding").take(at), model.dim)


CLUSTERINGS = ("leader", "union_find")


def leaders(n: int, pairs: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Kept row of each row: visiting rows in `order` (best first), a row with a kept neighbour in `pairs` points
    at the most similar one, any other row keeps itself."""
    kept = np.arange(n)
    if not len(pairs):
        return kept
    left = np.concatenate((pairs["i"], pairs["j"]))
    right = np.concatenate((pairs["j"], pairs["i"]))
    similarity = np.concatenate((pairs["similarity"], pairs["similarity"]))
    by_row = np.argsort(left, kind="stable")
    right, similarity = right[by_row], similarity[by_row]
    starts = np.searchsorted(left[by_row], np.arange(n + 1))
    leader = np.zeros(n, dtype=bool)  # visited and kept
    for row in order[np.diff(starts)[order] > 0].tolist():
        neighbours = right[starts[row] : starts[row + 1]]
        is_leader = leader[neighbours]
        if is_leader.any():
            kept[row] = neighbours[is_leader][np.argmax(similarity[starts[row] : starts[row + 1]][is_leader])]
        else:
            leader[row] = True
    return kept


def assign(
    table: pa.Table, pairs: np.ndarray, priorities: dict[str, int], clustering: str
) -> tuple[np.ndarray, np.ndarray, int]:
    """(kept row of each row, each row's cluster size, number of clusters) under `clustering`."""
    if clustering not in CLUSTERINGS:
        raise ValueError(f"clustering {clustering!r} is not one of {', '.join(CLUSTERINGS)}")
    n = table.num_rows
    cluster = connected_labels(n, np.stack((pairs["i"], pairs["j"]), axis=1))
    if clustering == "union_find":
        return representatives(table, cluster, priorities)
    sizes = np.bincount(cluster, minlength=n)[cluster] if n else np.zeros(0, dtype=np.int64)
    return leaders(n, pairs, np.lexsort(preference(table, priorities))), sizes, len(np.unique(cluster))


class StalePromptsError(StaleEmbeddingsError):
    """Some dedup survivors are no longer in decontaminated_problems: dedup_decisions is older than its input."""


# Rows per batch when reading the prompts of candidate pairs (few, large batches: each looks ids up once).
PROMPT_BATCH = 1 << 16


def prompts_of(lakehouse: LakehouseResource, ids: pa.Array) -> Iterator[tuple[pa.Array, list[str]]]:
    """(problem_id, prompt) batches of decontaminated_problems for `ids`, streamed."""
    scan = lakehouse.scan(
        DECONTAMINATED_PROBLEMS.name,
        columns=["problem_id", "prompt"],
        filter=pc.field("problem_id").isin(ids),
        batch_size=PROMPT_BATCH,
    )
    for batch in scan:
        yield batch.column("problem_id"), batch.column("prompt").to_pylist()


def content_of(lakehouse: LakehouseResource, table: pa.Table, rows: np.ndarray) -> ContentIndex:
    """Content tokens of `table`'s `rows` (the rows of candidate pairs), from their decontaminated prompts."""
    ids = table.column("problem_id").take(pa.array(rows))
    found = np.zeros(table.num_rows, dtype=bool)

    def tokens_by_row() -> Iterator[tuple[int, list[str]]]:
        for batch_ids, prompts in prompts_of(lakehouse, ids):
            at = rows[pc.index_in(batch_ids, value_set=ids).to_numpy(zero_copy_only=False)]
            found[at] = True
            yield from zip(at.tolist(), map(content_tokens, prompts), strict=True)

    content = ContentIndex.build(table.num_rows, tokens_by_row())
    missing = len(rows) - int(found[rows].sum())
    if missing:
        raise StalePromptsError(
            f"{missing} dedup survivors are not in decontaminated_problems: re-run dedup_decisions first"
        )
    return content


def confirmed_pairs(
    lakehouse: LakehouseResource, table: pa.Table, matrix: np.ndarray, cosines: DedupCosines, index: IndexSettings
) -> tuple[np.ndarray, PairVerdicts, int]:
    """(confirmed pairs, their verdicts, number of candidates): ANN candidates from the rule's lowest cosine, judged
    by the rule (the content tokens are read only when some floor needs them)."""
    candidates = pairs_above(matrix, cosines.lowest, index)
    content = None
    if not cosines.cosine_only and len(candidates):
        content = content_of(lakehouse, table, np.unique(np.concatenate((candidates["i"], candidates["j"]))))
    verdicts = judge(candidates, content, cosines)
    duplicate = verdicts.rule > 0
    return (
        candidates[duplicate],
        PairVerdicts(verdicts.rule[duplicate], verdicts.differing[duplicate]),
        len(candidates),
    )


def pair_details(n: int, pairs: np.ndarray, verdicts: PairVerdicts, kept: np.ndarray) -> list[dict[str, object]]:
    """For each dropped row (row order), the rule that confirmed it a duplicate of its kept row and how many content
    tokens differ (-1 when the cosine alone decided, without reading them)."""
    dropped = np.flatnonzero(kept != np.arange(n))
    if not len(dropped):
        return []
    i, j = np.minimum(dropped, kept[dropped]), np.maximum(dropped, kept[dropped])
    at = np.searchsorted(pairs["i"] * n + pairs["j"], i * n + j)  # pairs come sorted by (i, j)
    return [
        {"rule": rule_name(rule), "differing_tokens": differing}
        for rule, differing in zip(verdicts.rule[at].tolist(), verdicts.differing[at].tolist(), strict=True)
    ]


def with_details(rejections: pa.Table, details: list[dict[str, object]]) -> pa.Table:
    """`rejections` with each row's detail object extended by `details` (same row order)."""
    merged = [
        orjson.dumps({**orjson.loads(detail), **extra}, option=orjson.OPT_SORT_KEYS).decode()
        for detail, extra in zip(rejections.column("detail").to_pylist(), details, strict=True)
    ]
    at = rejections.schema.get_field_index("detail")
    return rejections.set_column(at, rejections.schema.field(at), pa.array(merged, pa.string()))


def semantic_deduplicate(
    lakehouse: LakehouseResource,
    model: Model,
    priorities: dict[str, int],
    index: IndexSettings,
    clustering: str = "leader",
) -> SemanticResult:
    table, version = survivors(lakehouse)
    matrix = vectors_of(lakehouse, table, model)
    n = table.num_rows
    pairs, verdicts, candidates = confirmed_pairs(lakehouse, table, matrix, model.cosines, index)
    kept, sizes, clusters = assign(table, pairs, priorities, clustering)
    leading = kept_columns(table, kept)
    is_kept = leading["is_kept"]
    similarity = exact_cosines(matrix, np.arange(n), kept).astype(np.float64) if n else np.zeros(0)
    decisions = pa.table(
        {
            **leading,
            "similarity": pa.array(np.round(np.clip(similarity, -1, 1), 4), pa.float64(), mask=is_kept),
            "cluster_size": sizes.astype(np.int32),
            "model": pa.array([model.key] * n, pa.string()),
            "threshold": pa.array(np.full(n, model.cosines.lowest), pa.float64()),
            "dedup_version": pa.array(np.full(n, version), pa.int64()),
        },
        schema=SEMANTIC_DEDUP_DECISIONS.schema,
    )
    reasons = pa.chunked_array([pa.array([REASON] * n, pa.string())])
    rejections = duplicate_rejections(table, decisions, reasons, {"model": model.key})
    if clustering == "leader":  # union_find keeps a cluster's best row, which may not share a pair with a member
        rejections = with_details(rejections, pair_details(n, pairs, verdicts, kept))
    counts = np.bincount(verdicts.rule, minlength=len(RULES) + 1)[1:]
    by_rule = {name: int(count) for name, count in zip(RULES, counts, strict=True)}
    return SemanticResult(decisions, rejections, n, clusters, candidates, len(pairs), by_rule, version)
