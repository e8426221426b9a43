"""What every embedding backend gives the pipeline: a model key, a dimension, unit-length float32 rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np


class Embedder(Protocol):
    """`key` names the model and its dimension (`backend:model@dim`): stored next to every vector, so vectors of
    two models are never compared and switching models re-embeds without touching the old rows."""

    key: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 rows of unit length (a zero vector stays zero)."""
        ...


def model_key(backend: str, model: str, dim: int) -> str:
    return f"{backend}:{model}@{dim}"


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in place (float32); all-zero rows are left at zero."""
    import numpy as np

    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    return matrix
