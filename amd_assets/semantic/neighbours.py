"""Pairs of problems whose embeddings are closer than a cosine threshold: an approximate nearest-neighbour index
(usearch HNSW; faiss HNSW for the benchmark's comparison) or exact blocked brute force (small inputs, recall
checks). HNSW settings: connectivity 16, expansion 64 at build and search: on 1.4M problems the pairs above the
threshold found match exact search on a 50k sample at 0.999 (benchmarks/semantic_dedup.py).

Rows are unit length, so inner product = cosine. Each row asks for its k nearest rows; pairs at or above the
threshold come back once each (i < j) with their cosine recomputed exactly in float32, so an approximate
index can miss a pair but never invents or misstates one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BACKENDS = ("usearch", "faiss", "exact")
# Below this many rows the exact search is as fast as building an index, and has perfect recall.
EXACT_BELOW = 20_000
PAIRS = np.dtype([("i", np.int64), ("j", np.int64), ("similarity", np.float32)])


@dataclass(frozen=True)
class IndexSettings:
    backend: str = "usearch"
    k: int = 16
    connectivity: int = 16
    expansion_add: int = 64
    expansion_search: int = 64
    threads: int = 2

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"ANN backend {self.backend!r} is not one of {', '.join(BACKENDS)}")


def knn(matrix: np.ndarray, settings: IndexSettings) -> tuple[np.ndarray, np.ndarray]:
    """(neighbours, similarities), each (n, k): the k nearest other rows of every row (-1 where fewer exist)."""
    n = len(matrix)
    k = min(settings.k, max(n - 1, 0))
    if k == 0:
        return np.full((n, 0), -1, np.int64), np.zeros((n, 0), np.float32)
    index = build_index(matrix, settings if n >= EXACT_BELOW else IndexSettings("exact", settings.k))
    return _drop_self(*index.search(matrix, k + 1), k)


def pairs_above(matrix: np.ndarray, threshold: float, settings: IndexSettings) -> np.ndarray:
    """Structured array (i, j, similarity) of distinct row pairs, i < j, with cosine >= threshold."""
    neighbours, _ = knn(matrix, settings)
    rows = np.repeat(np.arange(len(matrix), dtype=np.int64), neighbours.shape[1])
    cols = neighbours.ravel()
    valid = cols >= 0
    i, j = np.minimum(rows[valid], cols[valid]), np.maximum(rows[valid], cols[valid])
    keys = np.unique(i * len(matrix) + j)
    i, j = keys // max(len(matrix), 1), keys % max(len(matrix), 1)
    similarity = exact_cosines(matrix, i, j)
    keep = similarity >= threshold
    out = np.empty(int(keep.sum()), PAIRS)
    out["i"], out["j"], out["similarity"] = i[keep], j[keep], similarity[keep]
    return out


def exact_cosines(matrix: np.ndarray, i: np.ndarray, j: np.ndarray, chunk: int = 1 << 16) -> np.ndarray:
    out = np.empty(len(i), np.float32)
    for start in range(0, len(i), chunk):
        a = matrix[i[start : start + chunk]].astype(np.float32)
        b = matrix[j[start : start + chunk]].astype(np.float32)
        out[start : start + chunk] = np.einsum("ij,ij->i", a, b)
    return out


def _drop_self(neighbours: np.ndarray, similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row from its own result list (wherever the index ranked it) and keep k columns."""
    rows = np.arange(len(neighbours))[:, None]
    own = neighbours == rows
    # Push the row itself (and empty slots) to the end, keeping the order of the others.
    order = np.argsort(own | (neighbours < 0), axis=1, kind="stable")
    neighbours = np.take_along_axis(neighbours, order, axis=1)[:, :k]
    similarities = np.take_along_axis(similarities, order, axis=1)[:, :k]
    neighbours = np.where(neighbours == rows, -1, neighbours)
    return neighbours, similarities


class ExactIndex:
    """Blocked brute force: every query against every row, in float32."""

    def __init__(self, matrix: np.ndarray, settings: IndexSettings):
        self.rows = np.ascontiguousarray(matrix, dtype=np.float32)

    def search(self, queries: np.ndarray, k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
        neighbours = np.empty((len(queries), k), np.int64)
        similarities = np.empty((len(queries), k), np.float32)
        for start in range(0, len(queries), block):
            scores = np.asarray(queries[start : start + block], dtype=np.float32) @ self.rows.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            best = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-best, axis=1)
            neighbours[start : start + block] = np.take_along_axis(top, order, axis=1)
            similarities[start : start + block] = np.take_along_axis(best, order, axis=1)
        return neighbours, similarities


class UsearchIndex:
    """usearch HNSW over float16 vectors, inner-product metric."""

    def __init__(self, matrix: np.ndarray, settings: IndexSettings):
        from usearch.index import Index

        self.threads = settings.threads
        self.index = Index(
            ndim=matrix.shape[1],
            metric="ip",
            dtype="f16",
            connectivity=settings.connectivity,
            expansion_add=settings.expansion_add,
            expansion_search=settings.expansion_search,
        )
        self.index.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=self.threads)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        matches = self.index.search(queries, k, threads=self.threads)
        neighbours = matches.keys.astype(np.int64)
        neighbours[matches.keys == np.iinfo(np.uint64).max] = -1
        return neighbours, (1.0 - matches.distances).astype(np.float32)


class FaissIndex:
    """faiss HNSW (flat float32 storage), inner product; fed in chunks so no float32 copy of the whole input.
    Kept for `benchmarks/semantic_dedup.py compare`; faiss-cpu is not a dependency (usearch won: same recall and
    time on 1.4M problems, half the memory): `uv pip install faiss-cpu` to re-run the comparison."""

    CHUNK = 1 << 16

    def __init__(self, matrix: np.ndarray, settings: IndexSettings):
        try:
            import faiss
        except ImportError as error:
            raise ImportError(
                "the faiss backend needs faiss-cpu, which is not installed (uv pip install faiss-cpu)"
            ) from error

        faiss.omp_set_num_threads(settings.threads)
        self.index = faiss.IndexHNSWFlat(matrix.shape[1], settings.connectivity, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = settings.expansion_add
        self.index.hnsw.efSearch = settings.expansion_search
        for start in range(0, len(matrix), self.CHUNK):
            self.index.add(np.ascontiguousarray(matrix[start : start + self.CHUNK], dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        similarities = np.empty((len(queries), k), np.float32)
        neighbours = np.empty((len(queries), k), np.int64)
        for start in range(0, len(queries), self.CHUNK):
            chunk = np.ascontiguousarray(queries[start : start + self.CHUNK], dtype=np.float32)
            similarities[start : start + self.CHUNK], neighbours[start : start + self.CHUNK] = self.index.search(
                chunk, k
            )
        return neighbours, similarities


INDEXES: dict[str, type[ExactIndex | UsearchIndex | FaissIndex]] = {
    "exact": ExactIndex,
    "usearch": UsearchIndex,
    "faiss": FaissIndex,
}


def build_index(matrix: np.ndarray, settings: IndexSettings) -> ExactIndex | UsearchIndex | FaissIndex:
    """The index of `settings.backend` over the rows of `matrix` (unit length, float16 or float32)."""
    return INDEXES[settings.backend](matrix, settings)
