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
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from e2e_corpus_code import code_row
from e2e_corpus_general import general_row
from e2e_corpus_math import math_row
from e2e_corpus_text import REPO, Texts, Writer

PART_ROWS = 100_000
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
