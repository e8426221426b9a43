"""`decontaminated_problems` partition → `problem_embeddings`: one vector per problem and model, cached.

A vector is reused when the source already has one for the same embedded text (its hash) and the same model key,
so re-materializing a source embeds only new or edited text. Rows of other models stay in the table: switching
models re-embeds, switching back finds the old vectors again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.contracts.columns import PROBLEM_KEY
from amd_assets.contracts.tables import DECONTAMINATED_PROBLEMS, PROBLEM_EMBEDDINGS
from amd_assets.semantic.text import embedding_view, view_hash
from amd_assets.semantic.vectors import matrix_of, to_bytes
from resources.embeddings.base import Embedder
from resources.lakehouse import LakehouseResource

READS = ["problem_id", "source", "source_file", "source_row", "prompt"]


@dataclass
class EmbeddingCache:
    """Stored vectors of one source and model, by text hash; embeds (and remembers) whatever is missing."""

    lakehouse: LakehouseResource
    source: str
    embedder: Embedder
    reused: int = 0
    computed: int = 0
    _positions: dict[str, int] = field(default_factory=dict)
    _stored: np.ndarray | None = None

    def __post_init__(self) -> None:
        if not self.lakehouse.exists(PROBLEM_EMBEDDINGS.name):
            return
        mine = (ds.field("source") == self.source) & (ds.field("model") == self.embedder.key)
        table = self.lakehouse.read(PROBLEM_EMBEDDINGS.name, columns=["text_hash", "embedding"], filter=mine)
        self._positions = {value: index for index, value in enumerate(table.column("text_hash").to_pylist())}
        self._stored = matrix_of(table.column("embedding"), self.embedder.dim)

    def vectors(self, views: Sequence[str], hashes: Sequence[str]) -> np.ndarray:
        """(len(views), dim) float16 unit rows: stored ones where the hash is known, fresh ones otherwise."""
        out = np.empty((len(views), self.embedder.dim), dtype="<f2")
        missing = [i for i, value in enumerate(hashes) if value not in self._positions]
        known = [i for i, value in enumerate(hashes) if value in self._positions]
        if known and self._stored is not None:
            out[known] = self._stored[[self._positions[hashes[i]] for i in known]]
        if missing:
            out[missing] = self.embedder.embed([views[i] for i in missing])
        self.reused += len(known)
        self.computed += len(missing)
        return out


@dataclass
class EmbeddingStage:
    lakehouse: LakehouseResource
    source: str
    embedder: Embedder
    rows: int = 0
    cache: EmbeddingCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = EmbeddingCache(self.lakehouse, self.source, self.embedder)

    def batches(self) -> Iterator[pa.RecordBatch]:
        scan = self.lakehouse.scan(
            DECONTAMINATED_PROBLEMS.name, columns=READS, filter=ds.field("source") == self.source
        )
        for batch in scan:
            views = [embedding_view(prompt) for prompt in batch.column("prompt").to_pylist()]
            hashes = [view_hash(view) for view in views]
            vectors = self.cache.vectors(views, hashes)
            self.rows += batch.num_rows
            yield pa.RecordBatch.from_pydict(
                {
                    **{name: batch.column(name) for name in PROBLEM_KEY},
                    "text_hash": hashes,
                    "model": pa.array([self.embedder.key] * batch.num_rows, pa.string()),
                    "dim": pa.array(np.full(batch.num_rows, self.embedder.dim, np.int32)),
                    "embedding": to_bytes(vectors),
                },
                schema=PROBLEM_EMBEDDINGS.schema,
            )


def stale_sources(table: pa.Table, expected: pa.Array) -> list[str]:
    """Sources of `table` rows (problem_id, source) whose problem_id is not in `expected`."""
    missing = pc.invert(pc.is_in(table.column("problem_id"), value_set=expected))
    return sorted(set(table.column("source").filter(missing).to_pylist()))
