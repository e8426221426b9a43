"""Optional second decontamination check: cosine similarity of embeddings from an OpenAI-compatible
`/v1/embeddings` endpoint (vLLM, TEI, hosted APIs). Catches paraphrased benchmark items that share no n-gram."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from amd_assets.registry.benchmarks import BenchmarkItem, EmbeddingCheck


@dataclass(frozen=True)
class EmbeddingHit:
    benchmark: str
    item_id: str
    similarity: float

    def detail(self) -> dict[str, object]:
        return {"benchmark": self.benchmark, "item_id": self.item_id, "similarity": round(self.similarity, 4)}


class EmbeddingMatcher:
    def __init__(self, config: EmbeddingCheck, items: Sequence[BenchmarkItem]):
        if not (config.base_url and config.model):
            raise ValueError("embedding check enabled without base_url and model in benchmarks.yaml")
        from openai import OpenAI

        self.config = config
        self.client = OpenAI(base_url=config.base_url, api_key=os.environ.get(config.api_key_env, "unused"))
        self.items = list(items)
        self.matrix = self.embed([item.text for item in self.items])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length rows, requested in batches."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.config.batch_size):
            chunk = list(texts[start : start + self.config.batch_size])
            reply = self.client.embeddings.create(model=self.config.model or "", input=chunk)
            ordered = sorted(reply.data, key=lambda datum: datum.index)
            if len(ordered) != len(chunk):
                raise ValueError(f"embeddings endpoint returned {len(ordered)} vectors for {len(chunk)} inputs")
            vectors.extend(datum.embedding for datum in ordered)
        matrix = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.where(norms == 0, 1, norms)

    def match(self, texts: Sequence[str]) -> list[EmbeddingHit | None]:
        if not texts or not self.items:
            return [None] * len(texts)
        similarities = self.embed(texts) @ self.matrix.T
        best = similarities.argmax(axis=1)
        hits: list[EmbeddingHit | None] = []
        for row, column in enumerate(best.tolist()):
            score = float(similarities[row, column])
            item = self.items[column]
            hits.append(EmbeddingHit(item.benchmark, item.item_id, score) if score >= self.config.threshold else None)
        return hits
