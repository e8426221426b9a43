"""Decontamination rules: boilerplate n-grams are not evidence, shared n-grams must cover the item, and the
semantic check (real embedded model) catches a reworded item with a number changed."""

from __future__ import annotations

import pytest

from amd_assets.curation.decontaminate import Decontaminator, NgramIndex
from amd_assets.curation.embedding_check import SemanticMatcher
from amd_assets.registry.benchmarks import BenchmarkItem
from resources.embeddings import EmbeddingResource

CLOSING = "can be written as m/n, where m and n are relatively prime positive integers. Find m+n."
ITEMS = [
    BenchmarkItem(
        "aime", "1", f"A fair coin is tossed 10 times. The probability of no two consecutive heads {CLOSING}"
    ),
    BenchmarkItem(
        "aime", "2", f"Two dice are rolled. The probability that the sum of the two faces is prime {CLOSING}"
    ),
    BenchmarkItem(
        "math",
        "3",
        "The medians AD, BE and CF of triangle ABC intersect at the centroid G. The line through G that is parallel "
        "to BC intersects AB and AC at M and N. If the area of triangle ABC is 144, find the area of triangle ENG.",
    ),
]
BOILERPLATE_ONLY = f"A bag holds 5 red and 7 blue marbles; two are drawn. The chance that both are red {CLOSING}"


@pytest.fixture(scope="module")
def embedder():
    return EmbeddingResource().open()


def test_an_ngram_shared_by_several_items_is_boilerplate():
    index = NgramIndex(ITEMS, n=13)
    old_rule = NgramIndex(ITEMS, n=13, boilerplate_items=10**9, min_coverage=0.0)
    assert index.boilerplate > 0
    assert old_rule.match(BOILERPLATE_ONLY) is not None, "the single-13-gram rule removed it"
    assert index.match(BOILERPLATE_ONLY) is None


def test_shared_ngrams_must_cover_the_item():
    index = NgramIndex(ITEMS, n=13)
    copy = "Hint: think about similar triangles. " + ITEMS[2].text.upper()
    hit = index.match(copy)
    assert hit is not None and (hit.item_id, hit.coverage) == ("3", 1.0)
    one_sentence = "The medians AD, BE and CF of triangle ABC intersect at the centroid G. Prove that AG = 2 GD."
    assert index.match(one_sentence) is None, "one shared sentence of a 40-word item is not a copy"
    assert index.match(ITEMS[0].text) is not None, "a verbatim item matches even when all its n-grams are boilerplate"


def test_semantic_check_removes_a_reworded_item_with_a_number_changed(embedder):
    reworded = (
        "The three medians AD, BE, CF of triangle ABC meet at its centroid G. The line through G parallel to BC "
        "meets AB at M and AC at N. Given that triangle ABC has area 150, what is the area of triangle ENG?"
    )
    rule = Decontaminator(NgramIndex(ITEMS, n=13), SemanticMatcher(embedder, ITEMS, threshold=0.94))
    verdicts = rule.decide([{"prompt": reworded}, {"prompt": BOILERPLATE_ONLY}, {"prompt": ITEMS[2].text}])
    assert verdicts[0] is not None and verdicts[0][0] == "benchmark_semantic"
    assert verdicts[0][1]["item_id"] == "3" and verdicts[0][1]["similarity"] >= 0.94
    assert verdicts[1] is None
    assert verdicts[2] is not None and verdicts[2][0] == "benchmark_ngram", "n-gram hits are named first"
