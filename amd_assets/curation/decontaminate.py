"""Benchmark decontamination by word n-gram overlap, robust to shared competition wording.

A training prompt is contaminated by a benchmark item when the item's *evidence* n-grams (default 13 words,
lower-cased, punctuation and [asy] drawings removed) that also occur in the prompt cover at least
`MIN_COVERAGE` of the item's words. Two rules keep standard wording from counting as copying:

- an n-gram found in `BOILERPLATE_ITEMS` or more distinct benchmark items is boilerplate ("… where m and n are
  relatively prime positive integers. Find m+n"), never evidence;
- one shared sentence is not enough: the shared n-grams must cover a good part of the item, so a problem that
  merely reuses an item's instructions ("Enter your answer in the form …") is kept, while a copy, a copy inside a
  longer prompt, or a copy with a number changed near the end is removed.

Items shorter than n words are matched whole when they have at least `MIN_SHORT_WORDS` words; shorter ones only
when the whole prompt equals them, since a 3-word item would otherwise match countless innocent prompts. A prompt
equal to an item (after normalization) is contaminated whatever its n-grams. Reworded copies that share few
n-grams are the semantic check's job (`embedding_check.py`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amd_assets.curation.text import content_words
from amd_assets.registry.benchmarks import BenchmarkItem

if TYPE_CHECKING:
    from amd_assets.curation.embedding_check import SemanticMatcher

MIN_SHORT_WORDS = 5
BOILERPLATE_ITEMS = 2
MIN_COVERAGE = 0.5


@dataclass(frozen=True)
class Contamination:
    benchmark: str
    item_id: str
    ngram: str
    coverage: float = 1.0

    def detail(self) -> dict[str, object]:
        return {
            "benchmark": self.benchmark,
            "item_id": self.item_id,
            "ngram": self.ngram,
            "coverage": round(self.coverage, 3),
        }


@dataclass(frozen=True)
class _Item:
    benchmark: str
    item_id: str
    words: int


class NgramIndex:
    def __init__(
        self,
        items: Iterable[BenchmarkItem],
        n: int,
        boilerplate_items: int = BOILERPLATE_ITEMS,
        min_coverage: float = MIN_COVERAGE,
    ):
        self.n = n
        self.min_coverage = min_coverage
        self._items: list[_Item] = []
        self._whole: dict[tuple[str, ...], int] = {}
        # n-gram -> [(item, start)]: where each gram occurs in which items (tuple keys hash once per string).
        self._grams: dict[int, dict[tuple[str, ...], list[tuple[int, int]]]] = defaultdict(dict)
        for item in items:
            self._add(item)
        self.boilerplate = self._drop_boilerplate(boilerplate_items)

    @property
    def items(self) -> int:
        return len(self._items)

    def _add(self, item: BenchmarkItem) -> None:
        tokens = content_words(item.text)
        if not tokens:
            return
        number = len(self._items)
        self._items.append(_Item(item.benchmark, item.item_id, len(tokens)))
        self._whole.setdefault(tuple(tokens), number)
        if len(tokens) < MIN_SHORT_WORDS:
            return
        size = min(self.n, len(tokens))
        grams = self._grams[size]
        for start in range(len(tokens) - size + 1):
            grams.setdefault(tuple(tokens[start : start + size]), []).append((number, start))

    def _drop_boilerplate(self, boilerplate_items: int) -> int:
        """Remove n-grams shared by `boilerplate_items` or more distinct items; returns how many were removed."""
        dropped = 0
        for grams in self._grams.values():
            common = [gram for gram, where in grams.items() if len({item for item, _ in where}) >= boilerplate_items]
            for gram in common:
                del grams[gram]
            dropped += len(common)
        return dropped

    def match(self, text: str) -> Contamination | None:
        tokens = content_words(text)
        whole = self._whole.get(tuple(tokens))
        if whole is not None:
            item = self._items[whole]
            return Contamination(item.benchmark, item.item_id, " ".join(tokens[: self.n]))
        covered: dict[int, set[int]] = defaultdict(set)
        first: dict[int, tuple[str, ...]] = {}
        for size, grams in self._grams.items():
            for start in range(len(tokens) - size + 1):
                gram = tuple(tokens[start : start + size])
                for number, at in grams.get(gram, ()):
                    covered[number].update(range(at, at + size))
                    first.setdefault(number, gram)
        best: Contamination | None = None
        for number, positions in covered.items():
            item = self._items[number]
            coverage = len(positions) / item.words
            if coverage >= self.min_coverage and (best is None or coverage > best.coverage):
                best = Contamination(item.benchmark, item.item_id, " ".join(first[number]), coverage)
        return best


class Decontaminator:
    """The decontamination rule of one run: the n-gram index, then (when given) the semantic matcher for prompts
    the n-gram rule kept. `decide` returns one verdict per row: None (kept) or (reason, detail)."""

    def __init__(self, index: NgramIndex, semantic: SemanticMatcher | None = None):
        self.index = index
        self.semantic = semantic

    def decide(self, rows: list[dict[str, Any]]) -> list[tuple[str, dict[str, object]] | None]:
        verdicts: list[tuple[str, dict[str, object]] | None] = []
        for row in rows:
            hit = self.index.match(row["prompt"])
            verdicts.append(("benchmark_ngram", hit.detail()) if hit else None)
        if self.semantic is not None:
            pending = [i for i, verdict in enumerate(verdicts) if verdict is None]
            found = self.semantic.match([rows[i]["prompt"] for i in pending])
            for i, close in zip(pending, found, strict=True):
                if close is not None:
                    verdicts[i] = ("benchmark_semantic", close.detail())
        return verdicts
