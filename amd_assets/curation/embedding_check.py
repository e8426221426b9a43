"""Semantic decontamination: cosine similarity between a problem and every benchmark item, embedded with the same
model (the `embedder` resource) as semantic dedup. Catches reworded benchmark items and items with a number
changed, which share too few n-grams for the n-gram rule. Benchmark sets are small (hundreds to thousands of
items), so the comparison is one exact matrix product per batch of problems."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from amd_assets.registry.benchmarks import BenchmarkItem
from amd_assets.semantic.text import embedding_view

if TYPE_CHECKING:
    import numpy as np

    from resources.embeddings.base import Embedder


@dataclass(frozen=True)
class EmbeddingHit:
    benchmark: str
    item_id: str
    similarity: float
    model: str

    def detail(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "item_id": self.item_id,
            "similarity": round(self.similarity, 4),
            "model": self.model,
        }


class SemanticMatcher:
    """The most similar benchmark item of each problem, when at or above `threshold`."""

    def __init__(self, embedder: Embedder, items: Sequence[BenchmarkItem], threshold: float):
        self.embedder = embedder
        self.threshold = threshold
        self.items = list(items)
        self.matrix = embedder.embed([embedding_view(item.text) for item in self.items])

    def match_vectors(self, vectors: np.ndarray) -> list[EmbeddingHit | None]:
        """`vectors`: unit rows of the problems under the same model."""
        import numpy as np

        if not len(vectors) or not self.items:
            return [None] * len(vectors)
        similarities = np.asarray(vectors, dtype=np.float32) @ self.matrix.T
        best = similarities.argmax(axis=1)
        scores = similarities[np.arange(len(best)), best]
        return [
            EmbeddingHit(self.items[column].benchmark, self.items[column].item_id, float(score), self.embedder.key)
            if score >= self.threshold
            else None
            for column, score in zip(best.tolist(), scores.tolist(), strict=True)
        ]

    def match(self, texts: Sequence[str]) -> list[EmbeddingHit | None]:
        return self.match_vectors(self.embedder.embed([embedding_view(text) for text in texts]))
