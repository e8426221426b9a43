"""Embeddings as stored: float16 little-endian bytes per row, read back as one (n, dim) matrix without copies."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


def to_bytes(matrix: np.ndarray) -> list[bytes]:
    """One float16 blob per row (unit-length rows lose < 1e-3 cosine in float16, and half the bytes)."""
    import numpy as np

    half = np.ascontiguousarray(matrix, dtype="<f2")
    return [row.tobytes() for row in half]


def matrix_of(column: pa.ChunkedArray | pa.Array, dim: int) -> np.ndarray:
    """(n, dim) float16 view of a binary column of equal-width blobs (no per-row Python work)."""
    import numpy as np
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return np.zeros((0, dim), dtype="<f2")
    if array.type != pa.large_binary():
        array = array.cast(pa.large_binary())
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    if len(data) != 2 * dim * len(array) or not np.all(np.diff(offsets) == 2 * dim):
        raise ValueError(f"embeddings are not all {dim}-wide float16 vectors: re-materialize problem_embeddings")
    return data.view("<f2").reshape(len(array), dim)
