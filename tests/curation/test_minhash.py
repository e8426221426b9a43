"""Normalization, shingling and MinHash signatures (both backends): fast, deterministic, no network."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from amd_assets.curation.minhash import _POSITION, EMPTY_VALUE, MinHasher, normalize_text, shingles, token_hashes

BACKENDS = ["rensa", "datasketch"]
# "Full width12" in full-width forms with an ideographic space (written as escapes: ruff flags the glyphs)
FULLWIDTH_TEXT = "\uff26\uff55\uff4c\uff4c\u3000\uff57\uff49\uff44\uff54\uff48\uff11\uff12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, World!  Foo_bar\tbaz\n", "hello world foo bar baz"),
        ("Find $x^2+3x=10$; f(x)=?", "find x 2 3x 10 f x"),
        ("", ""),
        ("!!! ... ---", ""),
        ("Ünïcödé — STRASSE ß", "ünïcödé strasse ß"),
        (FULLWIDTH_TEXT, "full width12"),  # NFKC: full-width letters and digits are plain ones
        ("x² + y²", "x2 y2"),
        ("求 x 的值。", "求 x 的值"),
        ("हिन्दी भाषा", "हिन्दी भाषा"),  # combining vowel signs stay inside the word
        ("Привет, МИР", "привет мир"),
    ],
)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_ascii_fast_path_matches_unicode_path() -> None:
    text = "Let N be the SUM of all (positive) integers_below 1,000: compute N mod 7!"
    assert normalize_text(text + " é") == normalize_text(text) + " é"


def test_shingles_edge_cases() -> None:
    assert shingles("A b, c d!", 3) == ["a b c", "b c d"]
    assert shingles("a b c", 3) == ["a b c"]
    assert shingles("a, b", 3) == ["a b"]  # shorter than the shingle size: one shingle of all its words
    assert shingles("word", 3) == ["word"]
    assert shingles("", 3) == []
    assert shingles(" ?! ", 3) == []
    assert shingles("a b a b", 1) == ["a", "b", "a", "b"]
    assert shingles("a b a b a", 2) == ["a b", "b a", "a b", "b a"]
    with pytest.raises(ValueError):
        shingles("a b", 0)


M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _mix(h: int) -> int:
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & M64
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & M64
    return h ^ (h >> 31)


def _reference_word_hash(word: bytes) -> int:
    h = (len(word) * GOLDEN) & M64
    for start in range(0, len(word), 8):
        h = _mix(h ^ int.from_bytes(word[start : start + 8], "little"))
    return h


def _reference_token_hashes(text: str, size: int) -> list[int]:
    """The definition token_hashes vectorizes: hash of each shingle of shingles(text, size), in order."""
    hashes = [_reference_word_hash(word.encode()) for word in normalize_text(text).split()]
    windows = [hashes[i : i + size] for i in range(len(hashes) - size + 1)] if len(hashes) >= size else [hashes]
    out = []
    for window in windows if hashes else []:
        total = _mix((len(window) * GOLDEN) & M64)
        for offset, value in enumerate(window):
            total = (total + value * int(_POSITION[offset]) + offset) & M64
        out.append(_mix(total))
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_vectorized_token_hashes_match_reference(size: int) -> None:
    texts = [
        "Let $x^2 + 3x = 10$. Find x!",
        "",
        "one",
        "two words",
        f"Привет, МИР: {FULLWIDTH_TEXT} x² — hello",
        "a" * 30 + " supercalifragilisticexpialidocious " + "b" * 8 + " " + "c" * 9 + " end",
        "?!",
        "the same the same the same words",
    ]
    flat, offsets = token_hashes(texts, size)
    assert offsets.tolist()[0] == 0 and len(offsets) == len(texts) + 1
    for row, text in enumerate(texts):
        got = flat[int(offsets[row]) : int(offsets[row + 1])].tolist()
        assert got == _reference_token_hashes(text, size), text
        assert len(got) == len(shingles(text, size))


TEXTS = [
    "Let $f(x) = x^2 + 3x + 2$. Find the sum of all real roots of f(x) = 0 and give your answer as an integer.",
    "Write a Python function that returns the number of distinct prime factors of a positive integer n.",
    "",
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_identical_texts_identical_signatures_across_instances(backend: str) -> None:
    first = MinHasher(num_perm=64, backend=backend).signatures(TEXTS)
    second = MinHasher(num_perm=64, backend=backend).signatures([*TEXTS, TEXTS[0]])
    assert first.dtype == np.uint32 and first.shape == (3, 64)
    np.testing.assert_array_equal(first, second[:3])
    np.testing.assert_array_equal(second[0], second[3])
    assert (first[2] == EMPTY_VALUE).all()  # the empty text: pinned signature, same for both backends
    assert not np.array_equal(first[0], first[1])
    assert not np.array_equal(first, MinHasher(num_perm=64, seed=1, backend=backend).signatures(TEXTS))


def test_signatures_do_not_depend_on_formatting() -> None:
    hasher = MinHasher(num_perm=64)
    sig = hasher.signatures(["Compute 2 + 2.", "compute   2+2", "COMPUTE (2, 2)!"])
    assert (sig == sig[0]).all()


def test_signatures_identical_in_another_process() -> None:
    """No randomized hash() anywhere: a child with another PYTHONHASHSEED computes byte-identical signatures.

    rensa only: datasketch hashes with SHA-1 and seeds numpy's RandomState (deterministic by construction), and
    importing it costs ~5 s on this machine."""
    code = (
        "import sys; from amd_assets.curation.minhash import MinHasher;"
        "texts = sys.stdin.read().split('\\x1e');"
        "sys.stdout.write(MinHasher(num_perm=32).signatures(texts).tobytes().hex())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run(
        [sys.executable, "-c", code], input="\x1e".join(TEXTS[:2]), capture_output=True, text=True, env=env, check=True
    )
    assert child.stdout == MinHasher(num_perm=32).signatures(TEXTS[:2]).tobytes().hex()


def _pair_with_jaccard(shared: int, own: int, tag: str) -> tuple[str, str, float]:
    """Two texts whose 1-shingle sets share `shared` words and have `own` private words each."""
    common = [f"c{tag}{k}" for k in range(shared)]
    left = " ".join(common + [f"l{tag}{k}" for k in range(own)])
    right = " ".join(common + [f"r{tag}{k}" for k in range(own)])
    return left, right, shared / (shared + 2 * own)


@pytest.mark.parametrize(("shared", "own"), [(100, 0), (90, 5), (80, 10), (60, 20), (40, 30), (20, 40)])
def test_backends_agree_on_jaccard_estimates(shared: int, own: int) -> None:
    left, right, exact = _pair_with_jaccard(shared, own, f"{shared}x{own}")
    estimates = {}
    for backend in BACKENDS:
        sig = MinHasher(num_perm=256, shingle_size=1, backend=backend).signatures([left, right])
        estimates[backend] = float(np.mean(sig[0] == sig[1]))
        # 256 permutations: standard error <= 0.032, so 0.1 is > 3 sigma
        assert abs(estimates[backend] - exact) < 0.1, (backend, estimates, exact)
    assert abs(estimates["rensa"] - estimates["datasketch"]) < 0.12, estimates


def test_workers_give_the_same_rows_in_order() -> None:
    texts = [f"problem {k}: how many ways to choose {k % 7} items from {k} distinct items" for k in range(60)]
    single = MinHasher(num_perm=32, chunk_size=16).signatures(texts)
    pooled = MinHasher(num_perm=32, chunk_size=16, workers=2).signatures(texts)
    np.testing.assert_array_equal(single, pooled)


def test_cache_key_names_everything_a_signature_depends_on() -> None:
    key = MinHasher(num_perm=64, shingle_size=5, seed=7).cache_key
    assert key.startswith("rensa-0.") and "perm64" in key and "shingle5" in key and "seed7" in key
    assert MinHasher(backend="datasketch").cache_key.startswith("datasketch-")
    flat, offsets = token_hashes([], 3)
    assert flat.size == 0 and offsets.tolist() == [0]
    assert MinHasher().signatures([]).shape == (0, 128)


def test_invalid_configuration() -> None:
    with pytest.raises(ValueError):
        MinHasher(backend="simhash")
    with pytest.raises(ValueError):
        MinHasher(num_perm=0)
    with pytest.raises(ValueError):
        MinHasher(seed=-1)
