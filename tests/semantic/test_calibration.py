"""The calibrated WordLlama dedup threshold meets the acceptance bar: recall >= 0.95 on near-duplicates with <= 1%
of unrelated pairs merged, on the shipped labelled real pairs and on a planted corpus (real problems + copies with
2-3 words changed). Also: the ANN index finds the pairs exact search finds."""

from __future__ import annotations

import numpy as np
import pytest

from amd_assets.semantic import calibration, neighbours
from amd_assets.semantic.neighbours import IndexSettings, pairs_above
from amd_assets.semantic.text import embedding_view
from resources.embeddings import EmbeddingResource

RESOURCE = EmbeddingResource()
KEY = "wordllama:l2_supercat@256"
THRESHOLD = RESOURCE.threshold(KEY, "dedup")


@pytest.fixture(scope="module")
def embedder():
    return RESOURCE.open()


@pytest.fixture(scope="module")
def planted(embedder):
    corpus = calibration.plant(calibration.repo_problems(), 1000, seed=3)
    return corpus, embedder.embed([embedding_view(text) for text in corpus.texts])


def test_labelled_pairs_recall_and_unrelated_merges(embedder):
    pairs = calibration.load_pairs()
    assert len(pairs) == 322 and sum(pair.same_problem for pair in pairs) == 57
    cosines = calibration.pair_cosines(embedder, pairs)
    (score,) = calibration.score_pairs(pairs, cosines, [THRESHOLD], "same_problem")
    assert score.recall >= 0.95
    assert score.random_pairs_merged <= 0.01
    (template,) = calibration.score_pairs(pairs, cosines, [THRESHOLD], "same_template")
    assert template.recall >= 0.9 and template.precision >= 0.55


def test_planted_near_duplicates_recall_and_unrelated_merges(planted):
    corpus, matrix = planted
    (score,) = calibration.score_corpus(corpus, matrix, [THRESHOLD], IndexSettings(backend="exact"))
    assert score.planted_recall >= 0.95
    assert score.random_base_pairs_merged <= 0.01


def test_ann_finds_the_pairs_exact_search_finds(planted, monkeypatch):
    _, matrix = planted
    exact = pairs_above(matrix, THRESHOLD, IndexSettings(backend="exact"))
    monkeypatch.setattr(neighbours, "EXACT_BELOW", 0)
    approximate = pairs_above(matrix, THRESHOLD, IndexSettings(backend="usearch"))
    found = np.isin(exact["i"] * len(matrix) + exact["j"], approximate["i"] * len(matrix) + approximate["j"])
    assert found.mean() >= 0.98
    assert len(approximate) <= len(exact), "an ANN pair is always a real pair (cosine recomputed exactly)"
