"""Near-duplicate engine (amd_assets/curation/{minhash,lsh}.py) on 1,000,000 synthetic problems, rensa vs datasketch.

    uv run --frozen python benchmarks/dedup.py generate     # -> benchmarks/out/dedup/problems.parquet, planted.npz
    uv run --frozen python benchmarks/dedup.py run --backend rensa        # one config in this process -> JSON
    uv run --frozen python benchmarks/dedup.py run --backend datasketch
    uv run --frozen python benchmarks/dedup.py compare      # generate if missing, each config in its own process,
                                                            # -> markdown table (benchmarks/out/dedup/table.md)

Problems are math/code-like text of 40-150 words (Zipfian vocabulary, LaTeX-ish formula tokens, numbers, shared
boilerplate preambles and suffixes). 100,000 of them are planted variants of another problem: exact copies,
formatting-only copies (case/punctuation/spacing) and word edits aimed at shingle Jaccard 0.95/0.9/0.85/0.8/0.7/0.5.
Every planted pair is labelled with its EXACT shingle Jaccard (sets of normalized word 3-grams), and recall is
reported per exact-J bucket. Precision is measured on a sample of reported pairs against exact Jaccard.

"End to end" = list of texts in memory -> signatures -> band keys -> candidates -> verification -> union-find
labels. Loading the parquet file is excluded. Peak RSS is sampled over the whole process tree (the run process and
its signature workers) every 0.1 s, and getrusage maxima are reported too. datasketch runs through its batch API
(MinHash.bulk, i.e. one update_batch per document, with its default SHA-1 token hash); both backends get the same
worker processes. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from amd_assets.curation.lsh import band_keys, candidate_pairs, lsh_bands, near_duplicate_clusters
from amd_assets.curation.minhash import MinHasher, shingles

OUT = Path(__file__).resolve().parent / "out" / "dedup"
LEVELS = ["copy", "format", "0.95", "0.9", "0.85", "0.8", "0.7", "0.5"]
BUCKETS = [
    (1.0, 1.01, "J = 1"),
    (0.9, 1.0, "0.9 <= J < 1"),
    (0.8, 0.9, "0.8 <= J < 0.9"),
    (0.7, 0.8, "0.7 <= J < 0.8"),
    (0.5, 0.7, "0.5 <= J < 0.7"),
    (0.0, 0.5, "J < 0.5"),
]
COMMON_TEXT = """
the of a and to in is that for be are with as by on this it an if from at or which find let all given such
each number value sum what how many there integer positive real prime product triangle circle radius angle
area perimeter sequence series term function polynomial root equation probability random chosen expected
matrix vector derivative integral limit remainder divided digits largest smallest possible ways distinct
point line side length square cube set elements array string list return input output print n k m x y z
first second last total minimum maximum number of times than less greater equal between consecutive odd even
divisible by modulo answer compute determine prove show suppose consider where when then so can must not no
one two three four five ten each every other both same different order pairs subset graph vertices edges
tree path cost query queries test cases operation swap element index sorted subarray substring characters
lowercase letters digit factor multiple
"""
COMMON = COMMON_TEXT.split()
MATH_PREAMBLES = [
    "Solve the following math problem. Make sure to put the answer and only the answer inside boxed.",
    "Please reason step by step, and put your final answer within boxed.",
    "You are a helpful assistant. Solve the following competition problem carefully and show your reasoning "
    "before giving the final answer.",
    "Answer the following question. Think about it carefully, check every case, and then write the final "
    "numerical answer on the last line in the form Answer colon followed by the value.",
    "Problem.",
    "The following problem is from a regional olympiad for high school students.",
]
CODE_PREAMBLES = [
    "Write a Python function to solve the following problem.",
    "You are given a programming task. Read the input from standard input and write the answer to standard output. "
    "Your solution must run within the time limit for the largest tests.",
    "Implement the function described below in Python 3. Do not read from input; return the result.",
    "Solve the following coding problem using the programming language python.",
]
FORMULAS = [
    "${v}^{{{p}}}+{b}{v}={c}$",
    "$\\frac{{{a}}}{{{b}}}$",
    "f({v})={a}{v}-{b}",
    "${a}\\cdot{v}_{{{q}}}$",
    "a[{v}]+a[{v}+{q}]",
    "({a},{b},{c})",
]
SUFFIXES = [
    "Express your answer as a common fraction.",
    "Express your answer in simplest radical form.",
    "Give your answer modulo 10^9+7.",
    "Constraints: 1 <= n <= 10^5, 1 <= a_i <= 10^9.",
    "Return the answer as an integer.",
    "Round your answer to the nearest hundredth.",
]


def vocabulary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Words in frequency-rank order with their cumulative Zipf(1.1) probabilities, and math/code tokens."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    syllables = ["".join(rng.choice(letters, 2)) + rng.choice(list("aeiou")) for _ in range(400)]
    rare = sorted({"".join(rng.choice(syllables, rng.integers(2, 5))) for _ in range(60_000)})
    words = np.array(COMMON + list(rng.permutation(rare)), dtype=object)
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.1  # ~2/3 of the words are the 250 common ones
    math = [str(k) for k in range(1000)]
    for _ in range(20_000):
        v, a, b, c = rng.choice(list("xyznabk")), *rng.integers(1, 60, 3)
        math.append(FORMULAS[rng.integers(len(FORMULAS))].format(v=v, a=a, b=b, c=c, p=a % 5 + 2, q=a % 4 + 1))
    return words, np.cumsum(weights) / weights.sum(), np.array(math, dtype=object)


def base_problems(rows: int, rng: np.random.Generator, vocab: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[str]:
    words_vocab, cdf, math = vocab
    texts: list[str] = []
    for start in range(0, rows, 50_000):
        count = min(50_000, rows - start)
        lengths = rng.integers(40, 151, count)
        is_code = rng.random(count) < 0.4
        preamble = np.where(rng.random(count) < 0.6, rng.integers(0, 1000, count), -1)
        suffix = np.where(rng.random(count) < 0.3, rng.integers(0, len(SUFFIXES), count), -1)
        total = int(lengths.sum())
        words = words_vocab[np.minimum(np.searchsorted(cdf, rng.random(total)), len(words_vocab) - 1)]
        formula = rng.random(total) < 0.12  # numbers, formulas, code fragments between the words
        words[formula] = math[rng.integers(0, len(math), int(formula.sum()))]
        offset = 0
        for k in range(count):
            head = ""
            if preamble[k] >= 0:
                pool = CODE_PREAMBLES if is_code[k] else MATH_PREAMBLES
                head = pool[preamble[k] % len(pool)] + " "
            tail = " " + SUFFIXES[suffix[k]] if suffix[k] >= 0 else ""
            body_words = max(25, lengths[k] - len(head.split()) - len(tail.split()))
            texts.append(head + " ".join(words[offset : offset + body_words]) + "?" + tail)
            offset += lengths[k]
    return texts


def exact_jaccard(left: str, right: str, size: int = 3) -> float:
    a, b = set(shingles(left, size)), set(shingles(right, size))
    return len(a & b) / len(a | b) if a or b else 1.0


def mutate(text: str, level: str, rng: np.random.Generator, rare: np.ndarray) -> str:
    if level == "copy":
        return text
    words = text.split(" ")
    if level == "format":  # changes that normalization removes: case, punctuation, spacing
        styled = [w.upper() if rng.random() < 0.2 else w for w in words]
        seps = rng.choice([" ", "  ", ", ", " - ", "\n", "; "], len(words), p=[0.7, 0.1, 0.1, 0.04, 0.03, 0.03])
        return "".join(w + s for w, s in zip(styled, seps, strict=True)).strip() + " !!"
    target = float(level)
    size = len(set(shingles(text, 3)))
    edits = max(1, round(size * (1 - target) / (1 + target) / 3))
    variant = list(words)
    for _ in range(3):  # edits land on varying spans; top up if the first pass stayed well above the target
        for _ in range(edits):
            position = int(rng.integers(0, len(variant)))
            kind = rng.random()
            if kind < 0.6:
                variant[position] = str(rng.choice(rare))
            elif kind < 0.8:
                variant.insert(position, str(rng.choice(rare)))
            elif len(variant) > 30:
                del variant[position]
        candidate = " ".join(variant)
        if exact_jaccard(text, candidate) <= target + 0.03:
            break
        edits = max(1, edits // 2)
    return candidate


def generate(rows: int, planted_per_level: int, seed: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    rare = vocab[0][-50_000:]
    started = time.perf_counter()
    planted = planted_per_level * len(LEVELS)
    texts = base_problems(rows - planted, rng, vocab)
    originals = rng.choice(len(texts), planted, replace=False)
    levels = np.repeat(np.arange(len(LEVELS)), planted_per_level)
    texts += [mutate(texts[o], LEVELS[lv], rng, rare) for o, lv in zip(originals, levels, strict=True)]
    variants = np.arange(rows - planted, rows)
    exact = np.array([exact_jaccard(texts[o], texts[v]) for o, v in zip(originals, variants, strict=True)])
    # shuffle so planted variants are spread over the corpus (and over signature chunks)
    position = rng.permutation(rows)
    shuffled = [""] * rows
    for old, new in enumerate(position):
        shuffled[new] = texts[old]
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": shuffled}), OUT / "problems.parquet")
    np.savez(OUT / "planted.npz", i=position[originals], j=position[variants], level=levels, exact=exact)
    words = np.array([len(t.split()) for t in shuffled[:20_000]])
    print(
        f"generated {rows:,} problems ({planted:,} planted variants) in {time.perf_counter() - started:.0f}s; "
        f"words/problem p5/p50/p95 = {np.percentile(words, [5, 50, 95]).astype(int).tolist()}"
    )
    for lv, name in enumerate(LEVELS):
        sel = exact[levels == lv]
        print(
            f"  planted {name:>6}: exact J mean {sel.mean():.3f}, p5 {np.percentile(sel, 5):.3f}, "
            f"p95 {np.percentile(sel, 95):.3f}"
        )


def tree_rss() -> int:
    """Summed RSS of this process and all its descendants (the signature workers), from /proc."""
    parents, rss = {}, {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * resource.getpagesize()
    tree, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid == frontier[-1] and pid not in tree]
        frontier.pop()
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(pid, 0) for pid in tree)


class PeakRss(threading.Thread):
    """Samples tree_rss() every 0.1 s until stopped; `peak` is the largest sample."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.done = 0, threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.peak = max(self.peak, tree_rss())


def datasketch_sha1_probe(texts: list[str]) -> dict:
    """One process, same texts: datasketch's default SHA-1 hashfunc on shingle strings vs our pre-hashed input."""
    from datasketch import MinHash

    started = time.perf_counter()
    MinHash.bulk([[s.encode() for s in shingles(t, 3)] for t in texts], num_perm=128, seed=0)
    sha1 = time.perf_counter() - started
    started = time.perf_counter()
    MinHasher(backend="datasketch").signatures(texts)
    ours = time.perf_counter() - started
    return {"sha1_strings_us_per_problem": 1e6 * sha1 / len(texts), "prehashed_us_per_problem": 1e6 * ours / len(texts)}


def cpu_seconds() -> float:
    """User + system CPU of this process and its reaped children: less sensitive to a shared machine than wall time."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def run(args: argparse.Namespace) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts: list[str] = []  # streamed in batches, then arrow's freed pages returned: the RSS left is the texts
    for batch in pq.ParquetFile(OUT / "problems.parquet").iter_batches(batch_size=50_000, columns=["text"]):
        texts.extend(batch.column(0).to_pylist())
    pa.default_memory_pool().release_unused()
    planted = np.load(OUT / "planted.npz")
    if args.limit:
        texts = texts[: args.limit]
    n = len(texts)
    bands, rows = (args.bands, args.rows) if args.bands else lsh_bands(args.threshold, args.num_perm, 0.1, 0.9)
    hasher = MinHasher(args.num_perm, args.shingle_size, 0, args.backend, args.workers, args.chunk_size)
    load = os.getloadavg()[0]
    rss_before, rss = tree_rss(), PeakRss()
    cpu_start, started = cpu_seconds(), time.perf_counter()
    signatures = hasher.signatures(texts)
    cpu_signed, signed = cpu_seconds(), time.perf_counter()  # pool workers are joined by now: counted
    labels, pairs = near_duplicate_clusters(signatures, args.threshold, bands=bands, rows=rows)
    cpu_finished, finished = cpu_seconds(), time.perf_counter()
    rss.done.set()
    candidates = len(candidate_pairs(band_keys(signatures, bands, rows)))

    inside = (planted["i"] < n) & (planted["j"] < n)
    i, j, exact = planted["i"][inside], planted["j"][inside], planted["exact"][inside]
    found = labels[i] == labels[j]
    recall = {}
    for lo, hi, name in BUCKETS:
        sel = (exact >= lo) & (exact < hi)
        recall[name] = [float(found[sel].mean()) if sel.any() else None, int(sel.sum())]
    recall["J >= 0.9 (target)"] = [float(found[exact >= 0.9].mean()), int((exact >= 0.9).sum())]
    rng = np.random.default_rng(1)
    sample = pairs[rng.choice(len(pairs), min(len(pairs), args.precision_sample), replace=False)]
    true_j = np.array(
        [exact_jaccard(texts[a], texts[b], args.shingle_size) for a, b in zip(sample["i"], sample["j"], strict=True)]
    )
    keys = ("backend", "workers", "num_perm", "shingle_size", "threshold")
    result: dict = {key: getattr(args, key) for key in keys} | {"problems": n, "bands": bands, "rows": rows}
    result |= {"load_avg_at_start": load, "problems_per_s": n / (finished - started)}
    result |= {"seconds_signatures": signed - started, "seconds_lsh_verify_cluster": finished - signed}
    result |= {"seconds_end_to_end": finished - started, "cpu_seconds_signatures": cpu_signed - cpu_start}
    result |= {"cpu_seconds_end_to_end": cpu_finished - cpu_start, "rss_before_pipeline_gib": rss_before / 2**30}
    # getrusage covers this process (loading included); the workers' own maxrss is not reported: a spawned child
    # inherits its parent's high-water mark across fork+exec
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    result |= {"peak_tree_rss_gib": rss.peak / 2**30, "peak_rss_main_process_gib": main_peak}
    result |= {"candidates": candidates, "verified_pairs": len(pairs), "recall": recall}
    if len(sample):
        result |= {"precision_sample": len(sample), "precision_exact_ge_thr": float((true_j >= args.threshold).mean())}
        result["precision_exact_ge_thr_minus_0.05"] = float((true_j >= args.threshold - 0.05).mean())
        result["estimate_minus_exact_mean_abs"] = float(np.abs(sample["jaccard"] - true_j).mean())
    if args.backend == "datasketch":
        result["datasketch_single_process_probe_10k"] = datasketch_sha1_probe(texts[:10_000])
    name = f"result-{args.backend}-w{args.workers}-{bands}x{rows}.json"
    (OUT / name).write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


def table(results: list[dict]) -> str:
    """Markdown, one column per configuration."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.2f}%"

    metrics: list[tuple[str, object]] = [
        ("problems", lambda r: f"{r['problems']:,}"),
        ("problems/s end to end", lambda r: f"{r['problems_per_s']:,.0f}"),
        ("seconds: signatures", lambda r: f"{r['seconds_signatures']:.1f}"),
        ("seconds: bands+candidates+verify+union-find", lambda r: f"{r['seconds_lsh_verify_cluster']:.1f}"),
        ("seconds: end to end", lambda r: f"{r['seconds_end_to_end']:.1f}"),
        ("CPU seconds (all processes): signatures", lambda r: f"{r['cpu_seconds_signatures']:.1f}"),
        ("CPU seconds (all processes): end to end", lambda r: f"{r['cpu_seconds_end_to_end']:.1f}"),
        ("problems per CPU-second end to end", lambda r: f"{r['problems'] / r['cpu_seconds_end_to_end']:,.0f}"),
        ("peak RSS, process tree (GiB)", lambda r: f"{r['peak_tree_rss_gib']:.2f}"),
        ("RSS before pipeline = texts held (GiB)", lambda r: f"{r['rss_before_pipeline_gib']:.2f}"),
        ("peak RSS main process incl. loading (GiB)", lambda r: f"{r['peak_rss_main_process_gib']:.2f}"),
        ("load average at start (2 cores)", lambda r: f"{r['load_avg_at_start']:.1f}"),
        ("LSH candidates", lambda r: f"{r['candidates']:,}"),
        ("verified pairs (est. J >= 0.8)", lambda r: f"{r['verified_pairs']:,}"),
        *[
            (f"recall {k}", lambda r, k=k: f"{pct(r['recall'][k][0])} of {r['recall'][k][1]:,}")
            for k in results[0]["recall"]
        ],
        ("precision: exact J >= thr - 0.05", lambda r: pct(r.get("precision_exact_ge_thr_minus_0.05"))),
        ("precision: exact J >= thr", lambda r: pct(r.get("precision_exact_ge_thr"))),
        (
            "mean abs(estimated - exact J), reported pairs",
            lambda r: f"{r.get('estimate_minus_exact_mean_abs', float('nan')):.4f}",
        ),
    ]
    names = [f"{r['backend']}, {r['workers']} worker(s), {r['bands']}x{r['rows']}" for r in results]
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(fn(r) for r in results) + " |" for label, fn in metrics]  # type: ignore[operator]
    return "\n".join(lines)


def compare(args: argparse.Namespace) -> None:
    if not (OUT / "problems.parquet").exists():
        generate(args.problems, args.planted_per_level, args.seed)
    # datasketch's own band choice for 0.8/128 (9x13) and a single process are there to justify the defaults
    configs = ["rensa", "datasketch", "rensa --bands 9 --rows 13", "rensa --workers 1"]
    results = []
    for config in configs:
        extra = ["--limit", str(args.limit)] if args.limit else []
        command = [sys.executable, __file__, "run", "--backend", *config.split(), *extra]
        print("$", " ".join(command), flush=True)
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output))
    print(table(results))
    (OUT / "table.md").write_text(table(results) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    cmp_ = sub.add_parser("compare")
    for p in (gen, cmp_):
        p.add_argument("--problems", type=int, default=1_000_000)
        p.add_argument("--planted-per-level", type=int, default=12_500)
        p.add_argument("--seed", type=int, default=0)
    cmp_.add_argument("--limit", type=int, default=0)
    one = sub.add_parser("run", help="one configuration in this process; --bands/--rows override the band choice")
    one.add_argument("--backend", choices=["rensa", "datasketch"], default="rensa")
    options = {"workers": 2, "chunk-size": 20_000, "num-perm": 128, "shingle-size": 3, "bands": 0, "rows": 0}
    for name, default in (options | {"limit": 0, "precision-sample": 100_000}).items():
        one.add_argument(f"--{name}", type=int, default=default)
    one.add_argument("--threshold", type=float, default=0.8)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.problems, args.planted_per_level, args.seed)
    elif args.command == "run":
        run(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
