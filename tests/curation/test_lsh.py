"""Banded LSH, candidate generation, verification and clustering on small deterministic inputs."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from amd_assets.curation.lsh import (
    PAIR_DTYPE,
    band_keys,
    candidate_pairs,
    connected_labels,
    estimated_jaccard,
    lsh_bands,
    near_duplicate_clusters,
)
from amd_assets.curation.minhash import MinHasher

WORDS_TEXT = """
let find compute prove show that the of a an and or if then integer real positive prime number sum product
triangle circle radius angle area perimeter sequence series term function polynomial root equation value
probability random chosen expected matrix vector determinant derivative integral limit remainder divided by
digits largest smallest possible how many ways there are such is what greater less than equal each every
"""
WORDS = WORDS_TEXT.split()

PREAMBLE = (
    "Solve the following math problem step by step. Think carefully about every case, justify each step, "
    "and make sure to put the final answer and only the final answer inside boxed braces at the very end."
)


def problem(rng: random.Random, words: int = 80) -> str:
    body = [rng.choice(WORDS) if rng.random() < 0.7 else str(rng.randint(2, 999)) for _ in range(words)]
    return " ".join(body) + "?"


def change_words(rng: random.Random, text: str, count: int) -> str:
    words = text.split()
    for position in rng.sample(range(len(words)), count):
        words[position] = f"changed{position}"
    return " ".join(words)


def test_lsh_bands_match_datasketch() -> None:
    assert lsh_bands(0.8, 128) == (9, 13) == _optimal_param(0.8, 128, 0.5, 0.5)
    # the recall-weighted choice near_duplicate_clusters uses by default
    assert lsh_bands(0.8, 128, 0.1, 0.9) == (14, 9) == _optimal_param(0.8, 128, 0.1, 0.9)
    assert lsh_bands(1.0, 128) == (1, 128)  # exact signatures only
    with pytest.raises(ValueError):
        lsh_bands(0.0, 128)
    bands, rows = lsh_bands(0.5, 64)
    assert (bands, rows) == _optimal_param(0.5, 64, 0.5, 0.5) and bands * rows <= 64


def test_band_keys_hash_each_band_separately() -> None:
    sig = np.random.default_rng(0).integers(0, 2**32, size=(3, 12), dtype=np.uint32)
    sig[1] = sig[0]
    sig[1, 5] ^= 1  # differs from row 0 in band 1 (columns 4..7) only
    keys = band_keys(sig, bands=3, rows=4)
    assert keys.shape == (3, 3) and keys.dtype == np.uint64
    assert keys[0, 0] == keys[1, 0] and keys[0, 2] == keys[1, 2] and keys[0, 1] != keys[1, 1]
    assert len(set(keys[2]) | set(keys[0])) == 6
    with pytest.raises(ValueError):
        band_keys(sig, bands=4, rows=4)


def test_candidate_pairs_are_unique_sorted_and_ordered() -> None:
    keys = np.array([[1, 7], [2, 7], [1, 8], [3, 9], [1, 9], [4, 10]], dtype=np.uint64)
    pairs = candidate_pairs(keys)
    assert pairs.dtype == np.int64
    assert pairs.tolist() == [[0, 1], [0, 2], [0, 4], [2, 4], [3, 4]]
    assert candidate_pairs(np.arange(10, dtype=np.uint64).reshape(5, 2)).shape == (0, 2)


def test_estimated_jaccard_and_union_find() -> None:
    sig = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [9, 9, 9, 9], [1, 0, 0, 4]], dtype=np.uint32)
    pairs = np.array([[0, 1], [0, 2], [0, 3]])
    np.testing.assert_allclose(estimated_jaccard(sig, pairs, chunk=2), [0.75, 0.0, 0.5])
    labels = connected_labels(10, np.array([[5, 3], [3, 9], [1, 2], [8, 9], [7, 7]]))
    assert labels.tolist() == [0, 1, 1, 3, 4, 3, 6, 7, 3, 3]


@pytest.mark.parametrize("backend", ["rensa", "datasketch"])
def test_planted_near_duplicate_clusters_with_its_original(backend: str) -> None:
    rng = random.Random(4)
    originals = [problem(rng) for _ in range(200)]
    near = change_words(rng, originals[17], 2)  # 2 of 80 words: shingle Jaccard ~0.86
    far = change_words(rng, originals[42], 20)  # a rewrite, not a duplicate
    texts = [*originals, near, far]
    labels, pairs = near_duplicate_clusters(MinHasher(backend=backend).signatures(texts), 0.8)
    assert labels[200] == 17 and labels[17] == 17
    assert labels[201] == 201 and labels[42] == 42
    assert sorted(set(labels.tolist())) == [k for k in range(202) if k != 200]
    assert pairs.dtype == PAIR_DTYPE and pairs[["i", "j"]].tolist() == [(17, 200)]
    assert 0.8 <= pairs["jaccard"][0] <= 1.0


def test_shared_boilerplate_preamble_does_not_merge_distinct_problems() -> None:
    rng = random.Random(5)
    texts = [f"{PREAMBLE} {problem(rng, words=rng.randint(15, 40))}" for _ in range(300)]
    labels, pairs = near_duplicate_clusters(MinHasher().signatures(texts), 0.8)
    assert len(pairs) == 0
    assert labels.tolist() == list(range(300))


def test_oversized_bucket_does_not_explode() -> None:
    rng = np.random.default_rng(6)
    n, window = 20_000, 8
    sig = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint32)
    sig[:, :9] = 12345  # every row shares band 0: one bucket of 20,000 rows, 2e8 pairs if enumerated
    sig[:100] = sig[0]  # and 100 exact copies, more than max_bucket
    keys = band_keys(sig, 14, 9)
    pairs = candidate_pairs(keys, max_bucket=32, window=window)
    assert len(pairs) <= n * window
    labels, verified = near_duplicate_clusters(sig, 0.8)
    assert (labels[:100] == 0).all()  # the copies, chained through the oversized bucket, form one cluster
    assert labels[100:].tolist() == list(range(100, n))
    assert len(verified) >= 99 and (verified["jaccard"] == 1.0).all()
