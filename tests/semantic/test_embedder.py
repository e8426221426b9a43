"""The embedding resource: the embedded WordLlama (offline, WordLlama's own pooling) and an OpenAI-compatible
endpoint on 127.0.0.1 (batching, concurrency, retries, the width check), and the calibrated thresholds."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from resources.embeddings import DedupCosines, EmbeddingResource, UncalibratedModelError
from resources.embeddings.openai_backend import EmbeddingError
from tests.curation.openai_stub import openai_stub

TEXTS = [
    "Janet's ducks lay 16 eggs per day. How much does she make at the market?",
    "Find the number of ordered pairs of integers (x, y) with x^2 + y^2 = 25.",
    "",
    "word " * 5000,
]


@pytest.fixture(scope="module")
def wordllama():
    return EmbeddingResource().open()


def test_wordllama_loads_from_the_wheel_without_network(monkeypatch, tmp_path):
    def no_network(*args, **kwargs):
        raise AssertionError("the embedded model tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cache/wordllama to fall back on either
    embedder = EmbeddingResource().open()
    assert embedder.key == "wordllama:l2_supercat@256" and embedder.dim == 256
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (4, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 3]], axis=1), 1, atol=1e-5)
    assert not vectors[2].any(), "an empty text stays a zero vector"
    assert not list(Path(tmp_path).rglob("*")), "nothing is downloaded or cached"


def test_wordllama_pooling_is_wordllamas(wordllama):
    import wordllama as package

    reference = package.WordLlama.load(cache_dir=Path(package.__file__).parent, disable_download=True)
    texts = TEXTS[:2]
    assert np.allclose(wordllama.embed(texts), reference.embed(texts, norm=True), atol=1e-6)


def test_matryoshka_prefix_is_another_model_key():
    small = EmbeddingResource(dim=64).open()
    assert small.key == "wordllama:l2_supercat@64" and small.embed(TEXTS[:1]).shape == (1, 64)


def test_endpoint_batches_runs_concurrently_and_retries():
    vocabulary = ["ducks", "eggs", "pairs", "integers", "word"]
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def embed(text: str) -> list[float]:
        return [float(word in text.lower()) for word in vocabulary]

    def fault(body: dict) -> int | None:
        first = str(body["input"][0])
        with lock:
            seen[first] = seen.get(first, 0) + 1
            return 503 if seen[first] == 1 and "ducks" in first else None  # the first attempt of one batch fails

    with openai_stub(embed=embed, fault=fault) as (url, log):
        resource = EmbeddingResource(
            backend="openai", model="bge-m3", base_urls=url, batch_size=2, initial_backoff_s=0.01, dedup_threshold="0.9"
        )
        embedder = resource.open()
        vectors = embedder.embed(TEXTS * 3)
    assert embedder.key == "openai:bge-m3@5", "the width is learned from the server and is part of the key"
    assert vectors.shape == (12, 5)
    assert np.allclose(vectors[0], vectors[4]) and vectors[0] @ vectors[1] < 0.5
    batches = [entry for entry in log if entry["input"] != ["dimension probe"]]
    assert all(len(entry["input"]) <= 2 for entry in batches) and {e["model"] for e in batches} == {"bge-m3"}
    assert embedder.stats.retries == 1 and len(batches) == 7, "6 batches, one of them sent twice"
    assert resource.threshold(embedder.key, "dedup") == 0.9


def test_endpoint_failures_are_loud():
    with (
        openai_stub(embed=lambda text: [1.0, 0.0], fault=lambda body: 400) as (url, _),
        pytest.raises(EmbeddingError, match="client_error"),
    ):
        EmbeddingResource(backend="openai", model="m", base_urls=url, dim=2).open().embed(["x"])
    with (
        openai_stub(embed=lambda text: [1.0, 0.0, 0.0]) as (url, log),
        pytest.raises(EmbeddingError, match="expected dim 2"),
    ):
        EmbeddingResource(backend="openai", model="m", base_urls=url, dim=2).open().embed(["x"])
    assert len(log) == 1, "a width mismatch is a configuration error: not retried"


def test_thresholds_are_per_model():
    wordllama = EmbeddingResource()
    key = wordllama.known_key()
    rule = wordllama.dedup_cosines(key)
    assert (rule.alone, rule.few_differences, rule.contained, rule.same_content) == (0.97, 0.80, 0.87, 0.70)
    assert (wordllama.threshold(key, "dedup"), wordllama.threshold(key, "decontaminate")) == (0.70, 0.94)
    with pytest.raises(UncalibratedModelError, match="AMD_EMBEDDING_DEDUP_THRESHOLD"):
        EmbeddingResource(backend="openai", model="BAAI/bge-m3").threshold("openai:BAAI/bge-m3@1024", "dedup")
    with pytest.raises(UncalibratedModelError, match="AMD_EMBEDDING_DEDUP_THRESHOLD"):
        EmbeddingResource(backend="openai", model="BAAI/bge-m3").dedup_cosines("openai:BAAI/bge-m3@1024")
    plain = EmbeddingResource(dedup_threshold="0.9").dedup_cosines("openai:x@8")
    assert plain == DedupCosines.single(0.9) and plain.cosine_only, "a configured threshold is a plain cosine rule"
    configured = EmbeddingResource(decontamination_threshold="0.93")
    assert configured.threshold("openai:x@8", "decontaminate") == 0.93
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        EmbeddingResource(dedup_threshold="1.5").threshold(key, "dedup")
