"""Real text and R1-style traces for the generated corpus of `benchmarks/e2e_corpus.py`: the sentences, words,
MATH answers and benchmark items shipped under data/, and the seeded `Writer` every problem kind draws from."""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SENTENCE = re.compile(r"(?<=[.?!])\s+")
NUMBER = re.compile(r"\d+")
# GSM8K's calculator annotations and MATH's boxed answers do not belong in new text.
NOISE = re.compile(r"<<[^>]*>>|\\boxed")
WORD = re.compile(r"^[A-Za-z]{4,}$")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass(frozen=True)
class Texts:
    """Sentences to build prompts and reasoning from, words for edits, real MATH answers, benchmark items."""

    sentences: list[str]
    words: list[str]
    math_answers: list[str]
    benchmark_items: list[str]

    @classmethod
    def load(cls) -> Texts:
        from amd_assets.latex import last_boxed

        math = _jsonl(DATA / "samples" / "math" / "math_sample.jsonl.gz")
        gsm8k = _jsonl(DATA / "benchmarks" / "gsm8k_test.jsonl")
        mbpp = _jsonl(DATA / "benchmarks" / "mbpp_test.jsonl")
        humaneval = _jsonl(DATA / "benchmarks" / "humaneval.jsonl")
        texts = [row["problem"] for row in math] + [row["solution"] for row in math]
        texts += [row["question"] for row in gsm8k] + [row["answer"].split("####")[0] for row in gsm8k]
        texts += [row["text"] for row in mbpp]
        texts += [row["prompt"].split('"""')[1] for row in humaneval if row["prompt"].count('"""') >= 2]
        sentences = sorted(
            {
                NOISE.sub("", s).strip().replace("\n", " ")
                for t in texts
                for s in SENTENCE.split(t)
                if 4 <= len(s.split()) <= 60 and "\\boxed" not in s
            }
        )
        words = sorted({w for s in sentences for w in s.split(" ") if WORD.match(w)})
        answers = sorted({a for row in math if (a := last_boxed(row["solution"]))})
        benchmark = [row["problem"] for row in _jsonl(DATA / "benchmarks" / "math500.jsonl")]
        benchmark += [
            row["question"]
            for name in ("aime2024", "aime2025")
            for row in _jsonl(DATA / "benchmarks" / f"{name}.jsonl")
        ]
        return cls(sentences, words, answers, benchmark)


class Writer:
    """Random text of the corpus: one generator per (seed, source, part), so parts are independent."""

    def __init__(self, texts: Texts, rng: random.Random, think_chars: int, hang_share: float) -> None:
        self.texts, self.rng, self.think_chars, self.hang_share = texts, rng, think_chars, hang_share

    def renumber(self, sentence: str) -> str:
        return NUMBER.sub(lambda _: str(self.rng.randrange(1, 1000)), sentence)

    def sentences(self, low: int, high: int) -> str:
        return " ".join(self.renumber(s) for s in self.rng.sample(self.texts.sentences, self.rng.randint(low, high)))

    def think(self, closing: str) -> str:
        parts = ["Okay, let me work through this carefully."]
        size = len(parts[0])
        while size < self.think_chars:
            lead = self.rng.choice(("", "", "Wait, ", "So ", "Let me check: ", "Hmm, ", "Then "))
            part = lead + self.renumber(self.rng.choice(self.texts.sentences))
            parts.append(part)
            size += len(part) + 1
        parts.append(closing)
        return "\n".join(parts)

    def edited(self, text: str) -> str:
        """2-3 words (or numbers) of `text` changed: a near-duplicate for MinHash / semantic dedup."""
        tokens = text.split(" ")
        positions = [i for i, t in enumerate(tokens) if WORD.match(t) or NUMBER.fullmatch(t)]
        for i in self.rng.sample(positions, min(self.rng.choice((2, 3)), len(positions))):
            tokens[i] = str(self.rng.randrange(1, 1000)) if tokens[i].isdigit() else self.rng.choice(self.texts.words)
        return " ".join(tokens)

    def recased(self, text: str) -> str:
        """The same words, other case and spacing: an exact duplicate for the normalized-token hash."""
        return "  ".join(text.upper().split(" ")) if self.rng.random() < 0.5 else text.lower() + " "


def response(writer: Writer, final: str) -> str:
    return f"<think>\n{writer.think('So that settles it.')}\n</think>\n\n{final}"
