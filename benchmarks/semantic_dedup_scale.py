"""`run` and `compare` of `benchmarks/semantic_dedup.py`: semantic dedup at scale on synthetic problems (embed,
ANN index, k-NN query, the plain 0.83 rule and the pair rule side by side), timed, with peak RSS, ANN recall
against brute force and an extrapolation to 1.4M rows."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
from semantic_dedup_common import OUT, PLAIN, RULE

from amd_assets.semantic import calibration
from amd_assets.semantic.dedup import leaders
from amd_assets.semantic.neighbours import PAIRS, IndexSettings, build_index, exact_cosines, pairs_above
from amd_assets.semantic.rule import judge
from amd_assets.semantic.text import embedding_view
from resources.embeddings.thresholds import DedupCosines
from resources.embeddings.wordllama_backend import WordLlamaEmbedder

# `compare` runs each backend through the entry point's `run`, in its own process.
ENTRY = Path(__file__).resolve().with_name("semantic_dedup.py")
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
            str(ENTRY),
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
