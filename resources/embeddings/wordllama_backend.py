"""The embedded default: WordLlama's static token embeddings (`l2_supercat`, 256-d), mean-pooled, on CPU.

The weights and the tokenizer ship inside the `wordllama` wheel. They are read straight from the installed
package (safetensors + `tokenizers`) rather than through `WordLlama.load()`, which looks for the tokenizer in a
folder the wheel does not have and then downloads it, and whose import configures the root logger. The pooling is
WordLlama's (mean of the token vectors, no special tokens), without padding: a sparse texts x vocabulary count
matrix times the embedding matrix, so a very long problem costs its own length, not the batch's width.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from resources.embeddings.base import model_key, unit_rows

if TYPE_CHECKING:
    import numpy as np

SHIPPED = {"l2_supercat": (256, "l2_supercat_256.safetensors", "l2_supercat_tokenizer_config.json")}


class WordLlamaUnavailable(RuntimeError):
    """The wordllama wheel is missing, or does not ship the requested model."""


def package_dir() -> Path:
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise WordLlamaUnavailable("the wordllama package is not installed (uv sync)")
    return Path(next(iter(spec.submodule_search_locations)))


class WordLlamaEmbedder:
    backend = "wordllama"

    def __init__(self, model: str = "l2_supercat", dim: int = 256):
        if model not in SHIPPED:
            raise WordLlamaUnavailable(f"wordllama model {model!r} is not shipped in the wheel (have {list(SHIPPED)})")
        shipped_dim, weights_name, tokenizer_name = SHIPPED[model]
        if not 0 < dim <= shipped_dim:
            raise WordLlamaUnavailable(f"wordllama {model} has {shipped_dim} dimensions; asked for {dim}")
        import numpy as np
        from safetensors import safe_open
        from tokenizers import Tokenizer

        root = package_dir()
        with safe_open(str(root / "weights" / weights_name), framework="np") as weights:
            # Matryoshka-trained: a prefix of the dimensions is a smaller model of its own.
            self.matrix = np.ascontiguousarray(weights.get_tensor("embedding.weight")[:, :dim], dtype=np.float32)
        self.tokenizer = Tokenizer.from_file(str(root / "tokenizers" / tokenizer_name))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.dim = dim
        self.key = model_key(self.backend, model, dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np
        from scipy.sparse import csr_matrix

        # encode_batch_fast skips the character offsets nothing here reads (less time, far less memory).
        encodings = self.tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        ids = [np.asarray(encoding.ids, dtype=np.int32) for encoding in encodings]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        # texts x vocabulary token counts, times the vocabulary's vectors: the sum of each text's token vectors
        # without materializing them (30x faster than gathering, and no memory per token).
        counts = csr_matrix(
            (
                np.ones(int(lengths.sum()), np.float32),
                np.concatenate([np.zeros(0, np.int32), *ids]),
                np.concatenate(([0], np.cumsum(lengths))),
            ),
            shape=(len(ids), len(self.matrix)),
        )
        sums = np.asarray(counts @ self.matrix, dtype=np.float32)
        return unit_rows(sums / np.maximum(lengths, 1)[:, None])
