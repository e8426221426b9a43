"""Curation building blocks: quality rules, decontamination index, labels, downsampling, embeddings."""

from __future__ import annotations

import pytest
from openai_stub import openai_stub

from amd_assets.curation.curate import keep_fraction, sampled_in
from amd_assets.curation.decontaminate import NgramIndex
from amd_assets.curation.embedding_check import SemanticMatcher
from amd_assets.curation.filters import first_violation
from amd_assets.curation.labeler import LabelerResource, parse_label
from amd_assets.registry.benchmarks import BenchmarkItem
from amd_assets.registry.model import DownsampleRule, FilterSpec
from resources.embeddings import EmbeddingResource

RULES = FilterSpec()


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("", "empty_prompt"),
        ("Solve.", "too_short"),
        ("x" * 20_001, "too_long"),
        ("Compute \x01\x02\x03 2+2 \ufffd\ufffd, please, quickly now", "unusual_characters"),
        ("See http://example.com/x for the data and compute the mean.", "url"),
        ("Using www.example.org data, compute the mean value.", "url"),
        ("In the figure below, find the angle ABC of the triangle.", "image_reference"),
        ("As shown in the diagram, the square has side 3. Find its area.", "image_reference"),
        ("Look at ![plot](a.png) and read off the slope.", "image_reference"),
        ("| a | b |\n|---|---|\n| 1 | 2 |\nWhat is a + b?", "table"),
        ("Use the table below to find the cheapest item.", "table"),
        ("What prints?\n```python\nprint(1)", "incomplete_prompt"),
        ("Evaluate \\begin{align} x = 1 and stop here.", "incomplete_prompt"),
    ],
)
def test_each_rule_names_its_reason(prompt, reason):
    verdict = first_violation(prompt, RULES)
    assert verdict is not None and verdict[0] == reason


@pytest.mark.parametrize(
    "prompt",
    [
        "A shirt costs $15 and a hat costs $8. How much do two shirts and a hat cost?",
        "Find $x$ if $\\frac{x}{2} = 3$ and \\[x > 0\\].",
        "In the diagram, [asy]draw((0,0)--(1,1));[/asy] as shown in the figure, find the slope.",
        "Write a function that returns the sum of a list.\n```python\ndef f(xs):\n    pass\n```",
    ],
)
def test_ordinary_prompts_pass(prompt):
    assert first_violation(prompt, RULES) is None


def test_rules_can_be_switched_off_per_source():
    prompt = "Write a URL validator: is_valid('https://example.com') must return True."
    assert first_violation(prompt, RULES)[0] == "url"
    assert first_violation(prompt, FilterSpec(urls=False)) is None


def test_ngram_index_names_the_item_and_ngram():
    item = BenchmarkItem(
        "bench", "7", "How many positive integers less than one hundred are both square and cube numbers?"
    )
    index = NgramIndex([item, BenchmarkItem("bench", "8", "Tiny item")], n=13)
    hit = index.match("Warm-up. HOW many positive integers, less than one hundred, are both square and cube numbers??")
    assert hit is not None and (hit.benchmark, hit.item_id) == ("bench", "7")
    assert len(hit.ngram.split()) == 13
    assert index.match("How many positive integers less than one hundred are primes?") is None
    assert index.match("tiny item") is not None and index.match("a tiny item here") is None


def test_parse_label_is_strict():
    assert parse_label('{"category": "math", "difficulty": "hard"}').difficulty == "hard"
    assert parse_label('```json\n{"category": "code", "difficulty": "easy"}\n```').category == "code"
    for bad in (
        "hard",
        '{"difficulty": "hard"}',
        '{"category": "math", "difficulty": "impossible"}',
        '{"category": "math", "difficulty": "hard", "why": "x"}',
    ):
        assert parse_label(bad).error is not None and parse_label(bad).difficulty is None


def test_labeler_through_an_openai_compatible_server():
    replies = {"easy one": '{"category": "math", "difficulty": "easy"}', "garbled": "I think it is hard"}
    with openai_stub(chat=lambda text: replies[text]) as (url, log):
        labels = LabelerResource(base_url=url, model="labeler", request_attempts=1).label(["easy one", "garbled"])
    assert labels[0].difficulty == "easy" and labels[0].error is None
    assert labels[1].difficulty is None and "not JSON" in labels[1].error
    assert {entry["model"] for entry in log} == {"labeler"}
    assert LabelerResource().label(["x"])[0].error == "no labeler configured"


def test_downsampling_is_seeded_and_stable():
    rules = [DownsampleRule(difficulty="easy", keep=0.25), DownsampleRule(category="code", keep=0.5)]
    assert keep_fraction(rules, "math", "easy") == 0.25
    assert keep_fraction(rules, "code", "hard") == 0.5
    assert keep_fraction(rules, "math", "hard") == 1.0
    ids = [f"{i:024x}" for i in range(4000)]
    kept = [pid for pid in ids if sampled_in(pid, 0, 0.25)]
    assert 850 < len(kept) < 1150
    assert kept == [pid for pid in ids if sampled_in(pid, 0, 0.25)]
    assert kept != [pid for pid in ids if sampled_in(pid, 1, 0.25)]


def test_embedding_check_finds_a_paraphrase_through_the_endpoint():
    vocabulary = ["apples", "train", "speed", "marbles"]

    def embed(text: str) -> list[float]:
        return [float(word in text.lower()) for word in vocabulary]

    items = [BenchmarkItem("bench", "1", "A train travels at constant speed."), BenchmarkItem("bench", "2", "apples")]
    with openai_stub(embed=embed) as (url, log):
        embedder = EmbeddingResource(backend="openai", model="embedder", base_urls=url, batch_size=2).open()
        matcher = SemanticMatcher(embedder, items, threshold=0.95)
        hits = matcher.match(["What speed does the train keep?", "How many marbles are left?", "Count the apples"])
    assert hits[0] is not None and hits[0].item_id == "1" and hits[0].model == "openai:embedder@4"
    assert hits[1] is None
    assert hits[2] is not None and hits[2].item_id == "2"
    assert all(len(entry["input"]) <= 2 for entry in log), "requests are batched by batch_size"
