"""MinHash signatures of word shingles, the first half of the near-duplicate engine (see lsh.py).

Texts are normalized (NFKC, lower case, every character that is not a letter, digit or combining mark becomes a
space), cut into word n-grams ("shingles"), each shingle hashed to 64 bits in numpy (``token_hashes``), and the
hash sets sketched into a fixed-size signature per text. Two backends, fed the same shingle hashes:

- ``rensa`` (default): Rust R-MinHash, ``RMinHash.digest_matrix_from_flat_token_hashes``, one call per chunk.
- ``datasketch``: ``MinHash.generator``/``bulk`` (its batch path: one ``update_batch`` per text) with the
  ``affine32`` scheme and an identity ``hashfunc`` over the upper 32 bits of each shingle hash.

Both return ``uint32`` matrices of shape ``(len(texts), num_perm)``. The backends permute differently, so their
signatures are NOT comparable with each other: only ever compare rows made with the same ``cache_key``. Nothing
uses Python's randomized ``hash()``, so signatures are identical across processes and runs.

An empty text (no letters/digits) gets the all-``0xFFFFFFFF`` signature in both backends, so all empty texts look
identical to each other; filter them out before deduplication.
"""

from __future__ import annotations

import multiprocessing
import unicodedata
from array import array
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from itertools import pairwise
from typing import Literal, TypeVar, get_args

import numpy as np

DedupBackend = Literal["rensa", "datasketch"]
BACKENDS: tuple[DedupBackend, ...] = get_args(DedupBackend)
SIGNATURE_DTYPE = np.uint32
EMPTY_VALUE = np.iinfo(np.uint32).max
# Bump when normalization or token hashing changes: it is part of cache_key, so cached signatures get recomputed.
TOKEN_HASH_VERSION = 1

# ASCII fast path: bytes.translate is an order of magnitude faster than a regex over unicode categories, and
# almost all problem text is ASCII. Uppercase maps to lowercase, alphanumerics stay, everything else is a space.
_ASCII_TABLE = bytes(ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(256))


class _UnicodeTable(dict):
    """str.translate table filled lazily per code point: keep letters (L*), numbers (N*) and marks (M*).

    Marks are kept because many scripts (Devanagari, Thai, Arabic with harakat, ...) write vowels as combining
    marks inside a word; Python's regex ``\\w`` would split those words apart.
    """

    def __missing__(self, codepoint: int) -> int:
        keep = unicodedata.category(chr(codepoint))[0] in "LNM"
        value = codepoint if keep else 32
        self[codepoint] = value
        return value


_UNICODE_TABLE = _UnicodeTable()


def _words(text: str) -> list[str]:
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).decode("ascii").split()
    # NFKC first so full-width letters, ligatures and superscript digits compare equal to their plain forms.
    return unicodedata.normalize("NFKC", text).lower().translate(_UNICODE_TABLE).split()


def normalize_text(text: str) -> str:
    """Lower-case ``text``; punctuation, symbols and whitespace become single spaces; letters/digits of any script
    stay (NFKC-folded)."""
    return " ".join(_words(text))


def _shingles_of_words(words: list[str], size: int) -> list[str]:
    if not words:
        return []
    if len(words) <= size:
        return [" ".join(words)]
    return list(map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def shingles(text: str, size: int) -> list[str]:
    """Word ``size``-grams of ``normalize_text(text)`` in order (duplicates kept; signatures use them as a set).

    A text with fewer than ``size`` words yields one shingle made of all its words; an empty text yields ``[]``.
    """
    if size < 1:
        raise ValueError(f"shingle size must be >= 1, got {size}")
    return _shingles_of_words(_words(text), size)


# --- token hashing -------------------------------------------------------------------------------------------
# Building one Python string per shingle costs more than the whole Rust sketch, so signatures hash shingles in
# numpy instead. A chunk of texts becomes one byte buffer; a word of length L hashes as h = L * GOLDEN, then
# h = mix(h ^ block) for each 8-byte little-endian block (zero-padded), mix = splitmix64's finalizer; a shingle of
# k words hashes as mix(C_k ^ sum(hash(word_t) * K_t)). Same sets as set(shingles(text, size)) up to 64-bit
# collisions; tests/curation/test_minhash.py holds a plain-Python reference of this definition.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
# an array of hashes, or the one seed `_combine` starts from
_Hashes = TypeVar("_Hashes", np.ndarray, np.uint64)
_POSITION = np.array(
    [
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
        0x1D8E4E27C47D124F,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
    ],
    dtype=np.uint64,
)
_BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
_SPACE = 32
# The chunk buffer mixes raw ASCII texts (translated here) with already-normalized non-ASCII texts (UTF-8 bytes
# >= 0x80 are word bytes and pass unchanged).
_CHUNK_TABLE = _ASCII_TABLE[:128] + bytes(range(128, 256))


def _mix64(h: _Hashes) -> _Hashes:
    h = (h ^ (h >> np.uint64(30))) * _MIX1
    h = (h ^ (h >> np.uint64(27))) * _MIX2
    return h ^ (h >> np.uint64(31))


def _word_hashes(raw: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    # An unaligned uint64 view with a 1-byte stride reads the 8 bytes at any offset in one gather.
    padded = raw + bytes(8)
    view = np.ndarray(shape=(len(raw),), dtype="<u8", buffer=padded, strides=(1,))
    h = _mix64((lengths.astype(np.uint64) * _GOLDEN) ^ (view[starts] & _BYTE_MASKS[np.minimum(lengths, 8)]))
    longer, offset = np.flatnonzero(lengths > 8), 8
    while longer.size:  # words over 8 bytes: one more block per round, only for the words that long
        remaining = lengths[longer] - offset
        h[longer] = _mix64(h[longer] ^ (view[starts[longer] + offset] & _BYTE_MASKS[np.minimum(remaining, 8)]))
        longer, offset = longer[remaining > 8], offset + 8
    return h


def _combine(word_hashes: np.ndarray, first: np.ndarray, count: int) -> np.ndarray:
    total = np.full(len(first), _mix64(np.uint64(count) * _GOLDEN), dtype=np.uint64)
    for offset in range(count):
        total += word_hashes[first + offset] * _POSITION[offset % len(_POSITION)] + np.uint64(offset)
    return _mix64(total)


def token_hashes(texts: Sequence[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the shingles of every text, flat, and row offsets (len(texts) + 1, uint64).

    Row i's hashes are ``flat[offsets[i]:offsets[i + 1]]``, in shingle order: the hashed form of
    ``shingles(texts[i], size)``."""
    n = len(texts)
    if n == 0:
        return np.empty(0, dtype=np.uint64), np.zeros(1, dtype=np.uint64)
    parts = [t.encode("ascii") if t.isascii() else normalize_text(t).encode("utf-8") for t in texts]
    sizes = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    doc_starts = np.concatenate(([0], np.cumsum(sizes + 1)[:-1])).astype(np.int64)
    raw = b" ".join(parts).translate(_CHUNK_TABLE)
    buffer = np.frombuffer(raw, dtype=np.uint8)
    with np.errstate(over="ignore"):
        in_word = np.concatenate(([False], buffer != _SPACE, [False]))
        edges = np.flatnonzero(in_word[1:] != in_word[:-1])
        starts, ends = edges[0::2], edges[1::2]  # words never span two texts: a space separates them
        hashes = _word_hashes(raw, starts, ends - starts)
        first_word = np.searchsorted(starts, doc_starts)
        words_per_doc = np.diff(np.append(first_word, len(starts)))
        doc = np.repeat(np.arange(n), words_per_doc)
        counts = np.where(words_per_doc >= size, words_per_doc - size + 1, np.minimum(words_per_doc, 1))
        offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.uint64)
        flat = np.empty(int(offsets[-1]), dtype=np.uint64)
        if len(hashes) >= size:
            position = np.arange(len(hashes) - size + 1)
            position = position[doc[position] == doc[position + size - 1]]
            owner = doc[position]
            flat[offsets[owner].astype(np.int64) + position - first_word[owner]] = _combine(hashes, position, size)
        for count in range(1, size):  # texts shorter than `size` words: one shingle of all their words
            short = np.flatnonzero(words_per_doc == count)
            flat[offsets[short].astype(np.int64)] = _combine(hashes, first_word[short], count)
    return flat, offsets


def _rensa_signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    import rensa

    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, num_perm, seed)
    # The digest matrix exposes no buffer protocol: rows come out as lists of ints, packed here via array('I').
    packed = b"".join([array("I", row).tobytes() for row in matrix.to_rows()])
    return np.frombuffer(packed, dtype=SIGNATURE_DTYPE).reshape(len(offsets) - 1, num_perm).copy()


def _datasketch_signatures(flat: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    from datasketch import MinHash

    # datasketch's affine32 scheme takes 32-bit inputs and pre-mixes them (fmix32), so the upper half of the
    # shingle hash with an identity hashfunc is its documented fast path; its own SHA-1 per token measured 2-4x slower.
    upper = (flat >> np.uint64(32)).astype(np.uint32)
    rows = [upper[a:b].tolist() for a, b in pairwise(offsets.tolist())]
    sketches = MinHash.generator(rows, num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=int)
    out = np.empty((len(rows), num_perm), dtype=SIGNATURE_DTYPE)
    for row, sketch in enumerate(sketches):
        out[row] = sketch.hashvalues
    return out


def _signature_chunk(texts: Sequence[str], backend: str, num_perm: int, shingle_size: int, seed: int) -> np.ndarray:
    flat, offsets = token_hashes(texts, shingle_size)
    if backend == "rensa":
        out = _rensa_signatures(flat, offsets, num_perm, seed)
    else:
        out = _datasketch_signatures(flat, offsets, num_perm, seed)
    # Pin the empty-set signature so both backends (and future library versions) agree on it.
    out[offsets[1:] == offsets[:-1]] = EMPTY_VALUE
    return out


class MinHasher:
    """Computes MinHash signatures (``uint32``, shape ``(n, num_perm)``) of word shingles.

    ``workers > 1`` computes chunks in that many spawned processes (the per-chunk work, Python normalization,
    numpy hashing and rensa's row export, mostly holds the GIL, so threads would not help); rows come back in input
    order. Spawn, not fork, because the caller may be a multi-threaded Dagster process. Each spawn costs ~1-2 s of
    imports, so use workers only for large batches (the benchmark gives each worker 20,000-text chunks).
    """

    def __init__(
        self,
        num_perm: int = 128,
        shingle_size: int = 3,
        seed: int = 0,
        backend: str = "rensa",
        workers: int = 1,
        chunk_size: int = 20_000,
    ) -> None:
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if num_perm < 1 or shingle_size < 1 or workers < 1 or chunk_size < 1:
            raise ValueError("num_perm, shingle_size, workers and chunk_size must be >= 1")
        if not 0 <= seed < 2**32:
            raise ValueError("seed must fit in 32 bits (datasketch seeds numpy's RandomState with it)")
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.seed = seed
        self.backend = backend
        self.workers = workers
        self.chunk_size = chunk_size

    @property
    def cache_key(self) -> str:
        """Everything a stored signature depends on besides the text: store it next to cached signatures."""
        lib = f"{self.backend}-{version(self.backend)}"
        return f"{lib}/tokens{TOKEN_HASH_VERSION}/perm{self.num_perm}/shingle{self.shingle_size}/seed{self.seed}"

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """Signature matrix of ``texts``: ``uint32`` array of shape ``(len(texts), num_perm)``, row i = texts[i]."""
        n = len(texts)
        out = np.empty((n, self.num_perm), dtype=SIGNATURE_DTYPE)
        bounds = [(start, min(start + self.chunk_size, n)) for start in range(0, n, self.chunk_size)]
        args = (self.backend, self.num_perm, self.shingle_size, self.seed)
        if self.workers == 1 or len(bounds) <= 1:
            for start, stop in bounds:
                out[start:stop] = _signature_chunk(texts[start:stop], *args)
            return out
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            # Bounded in-flight submissions keep at most ~2 chunks per worker of texts pickled in the queue.
            pending: dict = {}
            next_chunk = 0
            while next_chunk < len(bounds) or pending:
                while next_chunk < len(bounds) and len(pending) < 2 * self.workers:
                    start, stop = bounds[next_chunk]
                    chunk = list(texts[start:stop])
                    pending[pool.submit(_signature_chunk, chunk, *args)] = (start, stop)
                    next_chunk += 1
                done = next(iter(pending))  # oldest first: results are consumed in submission order
                start, stop = pending.pop(done)
                out[start:stop] = done.result()
        return out
