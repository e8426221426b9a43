"""The generated corpus of `benchmarks/e2e.py`: N problems in the AM-DeepSeek-R1-Distilled-1.4M mix, as several
source files and the `sources.yaml` / `benchmarks.yaml` that register them. Not part of the test suite.

Mix (shares of N): math 29% (reference answers), code 24% (stdin/stdout tests), general 47%, over seven sources
in four file formats (JSONL.zst, Parquet, JSONL, JSONL.gz). Every problem ships an R1-style existing trace
(`<think>\\n…\\n</think>\\n\\n<final answer>`, ~`think_chars` of reasoning): the pipeline verifies these, as it
does the paper's 0.5M traces that came with their sources, so no teacher is needed.

- Text: prompts and reasoning are mixtures of real sentences (the MATH sample, GSM8K, MBPP and HumanEval
  texts under data/, never MATH-500 or AIME, which are the enabled benchmarks) with fresh numbers. Random
  syllables would chain most of a corpus into one embedding cluster (benchmarks/semantic_dedup.py).
- Math: real MATH answers as references (integers, fractions, radicals, expressions, intervals, text); the
  trace boxes the same answer (65%), an equivalent spelling of it (15%) or a wrong one (20%).
- Code: twelve stdin/stdout task families, each problem with 4-10 generated tests (expected outputs computed
  here); the trace's program is correct (70%), or prints an extra token, a wrong format, crashes or has no
  fence; `hang_share` (0.02%) never end.
- Planted: 5% near-duplicates of earlier problems of the same category (40% case/spacing copies for the exact
  hash, 60% with 2-3 words changed for MinHash / semantic dedup; some cross sources), and 0.1% of math rows
  copied from MATH-500 / AIME (half with a number changed) for decontamination.

Deterministic: the same (rows, seed, think_chars) writes byte-identical files.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
PART_ROWS = 100_000
SENTENCE = re.compile(r"(?<=[.?!])\s+")
NUMBER = re.compile(r"\d+")
# GSM8K's calculator annotations and MATH's boxed answers do not belong in new text.
NOISE = re.compile(r"<<[^>]*>>|\\boxed")
WORD = re.compile(r"^[A-Za-z]{4,}$")
NEAR_DUPLICATE_SHARE = 0.05
BENCHMARK_COPY_SHARE = 0.001
RESERVOIR = 20_000
# Programs that never end cost the sandbox its whole CPU limit (5 s): rare in traces that shipped with a source.
HANG_SHARE = 0.0002


@dataclass(frozen=True)
class SourcePlan:
    name: str
    category: str
    share: float
    suffix: str  # file format: .jsonl.zst, .parquet, .jsonl, .jsonl.gz


SOURCES = (
    SourcePlan("math_numina", "math", 0.18, ".jsonl.zst"),
    SourcePlan("math_openr1", "math", 0.11, ".parquet"),
    SourcePlan("code_kodcode", "code", 0.14, ".jsonl.zst"),
    SourcePlan("code_apps", "code", 0.10, ".jsonl.gz"),
    SourcePlan("general_natural_reasoning", "general", 0.22, ".jsonl.zst"),
    SourcePlan("general_infinity_instruct", "general", 0.15, ".parquet"),
    SourcePlan("general_misc", "general", 0.10, ".jsonl"),
)


def source_sizes(rows: int) -> dict[str, int]:
    sizes = {plan.name: int(rows * plan.share) for plan in SOURCES}
    sizes[SOURCES[-1].name] += rows - sum(sizes.values())
    return sizes


# --- real text -------------------------------------------------------------------------------------------------


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


# --- math ------------------------------------------------------------------------------------------------------


def equivalent(answer: str, rng: random.Random) -> str:
    """Another spelling of the same answer (what math-verify must see as equal)."""
    if answer.lstrip("-").isdigit():
        return rng.choice((f"{answer}.0", f"{answer}", f"\\frac{{{2 * int(answer)}}}{{2}}"))
    if "\\frac" in answer:
        return answer.replace("\\frac", "\\dfrac")
    if "," in answer:
        return answer.replace(",", ", ")
    return f" {answer} "


def wrong(answer: str, others: list[str], rng: random.Random) -> str:
    if answer.lstrip("-").isdigit():
        return str(int(answer) + rng.choice((-1, 1, 2)))
    other = rng.choice(others)
    return other if other != answer else f"{answer}+1"


def math_row(writer: Writer) -> dict[str, Any]:
    rng = writer.rng
    reference = rng.choice(writer.texts.math_answers)
    roll = rng.random()
    given = (
        reference
        if roll < 0.65
        else equivalent(reference, rng)
        if roll < 0.8
        else wrong(reference, writer.texts.math_answers, rng)
    )
    final = f"Therefore, the final answer is $\\boxed{{{given}}}$."
    prompt = writer.sentences(2, 4) + " What is the value asked for? Give your answer in simplest form."
    return {"problem": prompt, "answer": reference, "response": response(writer, final)}


def response(writer: Writer, final: str) -> str:
    return f"<think>\n{writer.think('So that settles it.')}\n</think>\n\n{final}"


# --- code ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A stdin/stdout task: its statement, an input generator, the reference solution and its program."""

    statement: str
    make_input: Callable[[random.Random], str]
    solve: Callable[[str], str]
    program: str


def _numbers(rng: random.Random, low: int = 1, high: int = 50) -> str:
    values = [rng.randint(-1000, 1000) for _ in range(rng.randint(low, high))]
    return f"{len(values)}\n{' '.join(map(str, values))}\n"


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split()[1:]]


def _word_line(rng: random.Random) -> str:
    return " ".join(
        rng.choice(("alpha", "beta", "gamma", "delta", "omega", "kappa")) for _ in range(rng.randint(1, 12))
    )


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 1_000_000_007
    return a


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


READ_NUMBERS = "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nvalues = list(map(int, data[1:1 + n]))\n"
FAMILIES = (
    Family(
        "print the sum of the n integers", _numbers, lambda s: str(sum(_ints(s))), READ_NUMBERS + "print(sum(values))\n"
    ),
    Family(
        "print the largest and the smallest of the n integers, separated by a space",
        _numbers,
        lambda s: f"{max(_ints(s))} {min(_ints(s))}",
        READ_NUMBERS + "print(max(values), min(values))\n",
    ),
    Family(
        "print the n integers in increasing order without repetitions",
        _numbers,
        lambda s: " ".join(map(str, sorted(set(_ints(s))))),
        READ_NUMBERS + "print(*sorted(set(values)))\n",
    ),
    Family(
        "print the prefix sums of the n integers",
        _numbers,
        lambda s: " ".join(str(sum(_ints(s)[: i + 1])) for i in range(len(_ints(s)))),
        READ_NUMBERS + "total = 0\nout = []\nfor v in values:\n    total += v\n    out.append(total)\nprint(*out)\n",
    ),
    Family(
        "print the words of the line in reverse order",
        lambda rng: _word_line(rng) + "\n",
        lambda s: " ".join(reversed(s.split())),
        "print(*reversed(input().split()))\n",
    ),
    Family(
        "print how many vowels the line contains",
        lambda rng: _word_line(rng) + "\n",
        lambda s: str(sum(c in "aeiou" for c in s)),
        "line = input()\nprint(sum(c in 'aeiou' for c in line))\n",
    ),
    Family(
        "print the greatest common divisor and the least common multiple of a and b",
        lambda rng: f"{rng.randint(1, 10**6)} {rng.randint(1, 10**6)}\n",
        lambda s: (lambda a, b: f"{__import__('math').gcd(a, b)} {a * b // __import__('math').gcd(a, b)}")(
            *map(int, s.split())
        ),
        "import math\na, b = map(int, input().split())\ng = math.gcd(a, b)\nprint(g, a * b // g)\n",
    ),
    Family(
        "print YES if n is prime and NO otherwise",
        lambda rng: f"{rng.randint(1, 10**5)}\n",
        lambda s: "YES" if _is_prime(int(s)) else "NO",
        "n = int(input())\nok = n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))\n"
        "print('YES' if ok else 'NO')\n",
    ),
    Family(
        "print the n-th Fibonacci number modulo 1000000007",
        lambda rng: f"{rng.randint(0, 5000)}\n",
        lambda s: str(_fib(int(s))),
        "n = int(input())\na, b = 0, 1\nfor _ in range(n):\n    a, b = b, (a + b) % 1000000007\nprint(a)\n",
    ),
    Family(
        "print YES if the word reads the same backwards and NO otherwise",
        lambda rng: rng.choice(("level", "rotor", "abcba", "python", "banana", "noon", "stats", "graph")) + "\n",
        lambda s: "YES" if s.strip() == s.strip()[::-1] else "NO",
        "w = input().strip()\nprint('YES' if w == w[::-1] else 'NO')\n",
    ),
    Family(
        "print the sum of the decimal digits of the number",
        lambda rng: str(rng.randint(1, 10**40)) + "\n",
        lambda s: str(sum(map(int, s.strip()))),
        "print(sum(map(int, input().strip())))\n",
    ),
    Family(
        "print the number of distinct integers among the n integers",
        _numbers,
        lambda s: str(len(set(_ints(s)))),
        READ_NUMBERS + "print(len(set(values)))\n",
    ),
)


def wrong_program(program: str, rng: random.Random) -> tuple[str, bool]:
    """(program text, fenced) of a rejected answer: an extra token, a wrong format, a crash or no fence."""
    roll = rng.random()
    if roll < 0.35:
        return program.replace("print(", "print(0, ", 1), True
    if roll < 0.6:
        return program.replace("print(", "print('answer:', ", 1), True
    if roll < 0.85:
        return program + "raise RuntimeError('unexpected end of input')\n", True
    return program, False


def code_row(writer: Writer, apps_style: bool) -> dict[str, Any]:
    rng = writer.rng
    family = rng.choice(FAMILIES)
    inputs = [family.make_input(rng) for _ in range(rng.randint(4, 10))]
    outputs = [family.solve(text) + "\n" for text in inputs]
    roll = rng.random()
    if roll < writer.hang_share:  # a program that never ends: costs the sandbox its CPU limit (stops at test 1)
        program, fenced = "while True:\n    pass\n", True
    elif roll < 0.7:
        program, fenced = family.program, True
    else:
        program, fenced = wrong_program(family.program, rng)
    limit = rng.randint(10, 10**5)
    # No worked example in the prompt: twelve families' examples look alike to an embedding model and would make
    # semantic dedup merge most code problems (84% of 2,000 had a neighbour above 0.83; 22% without examples).
    prompt = (
        f"{writer.sentences(3, 5)}\n\nTask: read the input from standard input and {family.statement}.\n"
        f"Constraints: 1 <= n <= {limit}."
    )
    code = f"```python\n{program}```" if fenced else program
    final = f"Here is the solution.\n\n{code}"
    tests: Any = [{"input": i, "output": o} for i, o in zip(inputs, outputs, strict=True)]
    if apps_style:
        tests = orjson.dumps({"inputs": inputs, "outputs": outputs}).decode()
    return {"question": prompt, "tests": tests, "response": response(writer, final)}


# --- general ---------------------------------------------------------------------------------------------------

LEADS = (
    "Explain your reasoning step by step.",
    "Answer the question below and justify it.",
    "Read the passage and answer the question at the end.",
    "Think about the situation described and give a clear answer.",
)


def general_row(writer: Writer) -> dict[str, Any]:
    prompt = f"{writer.rng.choice(LEADS)} {writer.sentences(3, 5)}"
    final = writer.sentences(3, 6)
    return {"prompt": prompt, "response": response(writer, final)}


# --- sources ---------------------------------------------------------------------------------------------------

PROMPT_FIELD = {"math": "problem", "code": "question", "general": "prompt"}


class Planter:
    """Near-duplicates of earlier problems of the same category (any source), and benchmark copies."""

    def __init__(self) -> None:
        self.recent: dict[str, list[dict[str, Any]]] = {"math": [], "code": [], "general": []}

    def remember(self, category: str, row: dict[str, Any], rng: random.Random) -> None:
        pool = self.recent[category]
        if len(pool) < RESERVOIR:
            pool.append(row)
        else:
            pool[rng.randrange(RESERVOIR)] = row

    def near_duplicate(self, category: str, writer: Writer) -> dict[str, Any] | None:
        pool = self.recent[category]
        if not pool:
            return None
        row = dict(writer.rng.choice(pool))
        field = PROMPT_FIELD[category]
        row[field] = writer.recased(row[field]) if writer.rng.random() < 0.4 else writer.edited(row[field])
        return row

    @staticmethod
    def benchmark_copy(writer: Writer) -> dict[str, Any]:
        row = math_row(writer)
        item = writer.rng.choice(writer.texts.benchmark_items)
        row["problem"] = item if writer.rng.random() < 0.5 else writer.edited(item)
        return row


def rows_of(plan: SourcePlan, start: int, count: int, writer: Writer, planter: Planter) -> Iterator[dict[str, Any]]:
    rng = writer.rng
    for index in range(start, start + count):
        roll = rng.random()
        row = None
        if roll < NEAR_DUPLICATE_SHARE:
            row = planter.near_duplicate(plan.category, writer)
        elif plan.category == "math" and roll < NEAR_DUPLICATE_SHARE + BENCHMARK_COPY_SHARE:
            row = planter.benchmark_copy(writer)
        if row is None:
            row = fresh_row(plan, writer)
            planter.remember(plan.category, row, rng)
        yield {"id": f"{plan.name}-{index:08d}", **row}


def fresh_row(plan: SourcePlan, writer: Writer) -> dict[str, Any]:
    if plan.category == "math":
        return math_row(writer)
    if plan.category == "code":
        return code_row(writer, apps_style=plan.name == "code_apps")
    return general_row(writer)


def write_part(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd", row_group_size=10_000)
        return
    payload = b"".join(orjson.dumps(row) + b"\n" for row in rows)
    if path.name.endswith(".zst"):
        with pa.CompressedOutputStream(str(path), "zstd") as out:
            out.write(payload)
    elif path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(payload, compresslevel=1, mtime=0))
    else:
        path.write_bytes(payload)


def registry_entry(plan: SourcePlan) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": "id", "prompt": PROMPT_FIELD[plan.category]}
    if plan.category == "math":
        fields["reference_answer"] = "answer"
    if plan.category == "code":
        fields["tests"] = {"kind": "stdio", "field": "tests"}
    fields["trace"] = {"response": "response", "model": "deepseek-ai/DeepSeek-R1"}
    return {
        "path": f"corpus/{plan.name}/*{plan.suffix}",
        "licence": "generated (benchmarks/e2e_corpus.py)",
        "priority": 50,
        "category": plan.category,
        "fields": fields,
    }


def write_registries(folder: Path) -> None:
    import yaml

    sources = {"sources": {plan.name: registry_entry(plan) for plan in SOURCES}}
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources, sort_keys=False))
    benchmarks = yaml.safe_load((REPO / "benchmarks.yaml").read_text())
    for entry in benchmarks["benchmarks"].values():
        entry["path"] = str((REPO / entry["path"]).resolve())
    (folder / "benchmarks.yaml").write_text(yaml.safe_dump(benchmarks, sort_keys=False))


def generate(
    folder: Path, rows: int, seed: int = 0, think_chars: int = 2000, hang_share: float = HANG_SHARE
) -> dict[str, int]:
    """Write the corpus under `folder/corpus/<source>/` and the registries; returns rows per source."""
    texts = Texts.load()
    planter = Planter()
    sizes = source_sizes(rows)
    for number, plan in enumerate(SOURCES):
        size = sizes[plan.name]
        for part, start in enumerate(range(0, size, PART_ROWS)):
            writer = Writer(texts, random.Random(f"{seed}/{number}/{part}"), think_chars, hang_share)
            part_rows = list(rows_of(plan, start, min(PART_ROWS, size - start), writer, planter))
            write_part(folder / "corpus" / plan.name / f"part-{part:05d}{plan.suffix}", part_rows)
    write_registries(folder)
    return sizes
