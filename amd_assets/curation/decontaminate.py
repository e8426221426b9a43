"""Benchmark decontamination by word n-gram overlap (and optionally embedding similarity).

A training prompt is contaminated when it shares one word n-gram (default 13, lower-cased, punctuation
removed) with any benchmark item. Items shorter than n words are matched whole when they have at least
`MIN_SHORT_WORDS` words; shorter ones only when the whole prompt equals them, since a 3-word item would
otherwise match countless innocent prompts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amd_assets.curation.text import content_words
from amd_assets.registry.benchmarks import BenchmarkItem

MIN_SHORT_WORDS = 5


@dataclass(frozen=True)
class Contamination:
    benchmark: str
    item_id: str
    ngram: str

    def detail(self) -> dict[str, str]:
        return {"benchmark": self.benchmark, "item_id": self.item_id, "ngram": self.ngram}


class NgramIndex:
    def __init__(self, items: Iterable[BenchmarkItem], n: int):
        self.n = n
        self.items = 0
        # tuple(words) hashes are cached per string and need no joining; the index lives in one process.
        self._grams: dict[int, dict[tuple[str, ...], tuple[str, str]]] = {}
        self._whole: dict[tuple[str, ...], tuple[str, str]] = {}
        for item in items:
            self.add(item)

    def add(self, item: BenchmarkItem) -> None:
        tokens = content_words(item.text)
        if not tokens:
            return
        self.items += 1
        where = (item.benchmark, item.item_id)
        if len(tokens) < MIN_SHORT_WORDS:
            self._whole.setdefault(tuple(tokens), where)
            return
        size = min(self.n, len(tokens))
        grams = self._grams.setdefault(size, {})
        for start in range(len(tokens) - size + 1):
            grams.setdefault(tuple(tokens[start : start + size]), where)

    def match(self, text: str) -> Contamination | None:
        tokens = content_words(text)
        whole = self._whole.get(tuple(tokens))
        if whole is not None:
            return Contamination(whole[0], whole[1], " ".join(tokens))
        for size, grams in self._grams.items():
            for start in range(len(tokens) - size + 1):
                gram = tuple(tokens[start : start + size])
                found = grams.get(gram)
                if found is not None:
                    return Contamination(found[0], found[1], " ".join(gram))
        return None
