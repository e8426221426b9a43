"""The pair rule's parts: what counts as a content token, how many may differ, and which rule confirms a pair."""

from __future__ import annotations

import numpy as np

from amd_assets.semantic.content import content_tokens
from amd_assets.semantic.neighbours import PAIRS
from amd_assets.semantic.rule import (
    CONTAINED,
    COSINE,
    FEW_DIFFERENCES,
    NOT_DUPLICATE,
    SAME_CONTENT,
    ContentIndex,
    allowed_differences,
    judge,
)
from resources.embeddings import DedupCosines

RULE = DedupCosines(alone=0.97, few_differences=0.80, contained=0.87, same_content=0.70)
# data/semantic_pairs math-133: a same-problem pair at cosine 0.74 (the variable renamed throughout)
RENAMED = "If ${digits}_{{{var}}}$ is equal to the base 10 integer {value}, find ${var}$ given that ${var}>0$."


def test_content_tokens_leave_out_what_does_not_change_the_problem():
    assert content_tokens("Express your answer as a common fraction. Compute $\\dfrac{3}{4} + x$.") == ["frac", "+"]
    # numbers, number words, variable names and the instruction verb are not content; operators in math are
    assert content_tokens("If $321_{b}$ equals 57, find $b$.") == content_tokens("If $131_{a}$ equals 55, find $a$.")
    assert content_tokens("Three dice are rolled.") == content_tokens("Two dice are rolled.") == ["dice", "rolled"]
    assert content_tokens("Simplify $x^2+1$.") != content_tokens("Simplify $x^2-1$.")
    # outside math, symbols are text: a code identifier is one token, `==` and `<` are not operators
    assert content_tokens("assert volume_cone(5,12)==314.1 and 1 < 2") == ["assert", "volume_cone"]


def test_allowed_differences_grow_with_the_content():
    longer = np.array([1, 2, 5, 8, 10, 15, 20, 30, 60])
    assert allowed_differences(longer).tolist() == [1, 1, 2, 2, 3, 3, 4, 6, 12]


def judged(cases: list[tuple[str, str, float]]) -> np.ndarray:
    texts = [text for left, right, _ in cases for text in (left, right)]
    content = ContentIndex.build(len(texts), ((row, content_tokens(text)) for row, text in enumerate(texts)))
    pairs = np.empty(len(cases), PAIRS)
    pairs["i"], pairs["j"] = np.arange(0, len(texts), 2), np.arange(1, len(texts), 2)
    pairs["similarity"] = [cosine for _, _, cosine in cases]
    return judge(pairs, content, RULE).rule


def test_each_rule_confirms_its_kind_of_pair():
    garden = "A rectangular garden is 20 meters long and 12 meters wide, with a path of uniform width around it."
    cone = "Write a function to find the volume of a cone. assert volume_cone(5)==1 assert volume_cone(6)==2"
    sphere = "Write a function to find the volume of a sphere. assert volume_sphere(5)==1 assert volume_sphere(6)==2"
    committee = "In how many ways can a 3-person committee be chosen from a group of 8 people?"
    explained = committee[:-1] + " (the order in which we choose the 3 people does not matter)?"
    verdicts = judged(
        [
            (garden, garden.replace("rectangular", "square").replace("uniform", "equal"), 0.85),
            (cone, sphere, 0.91),  # the task's word and every call of the function under test differ
            (committee, explained, 0.89),
            (committee, explained, 0.85),  # contained, but below that rule's floor
            (RENAMED.format(digits=321, var="b", value=57), RENAMED.format(digits=131, var="a", value=55), 0.74),
            (cone, sphere, 0.98),
        ]
    )
    assert verdicts.tolist() == [FEW_DIFFERENCES, NOT_DUPLICATE, CONTAINED, NOT_DUPLICATE, SAME_CONTENT, COSINE]


def test_without_content_only_the_cosine_decides():
    pairs = np.zeros(3, PAIRS)
    pairs["similarity"] = [0.5, 0.9, 0.99]
    assert judge(pairs, None, RULE).rule.tolist() == [NOT_DUPLICATE, NOT_DUPLICATE, COSINE]
    assert judge(pairs, None, DedupCosines.single(0.9)).rule.tolist() == [NOT_DUPLICATE, COSINE, COSINE]
