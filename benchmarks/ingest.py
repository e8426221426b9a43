"""Ingest throughput and memory on a generated 1,000,000-row JSONL source (~2 KB a row).

    uv run python benchmarks/ingest.py generate            # writes benchmarks/out/ingest/source.jsonl (~2 GB)
    /usr/bin/time -v uv run python benchmarks/ingest.py ingest     # raw_problems + normalized_problems
    /usr/bin/time -v uv run python benchmarks/ingest.py bare-orjson
    /usr/bin/time -v uv run python benchmarks/ingest.py bare-pyarrow

Run each step under `/usr/bin/time -v` for its peak RSS ("Maximum resident set size"). Not part of the tests.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent / "out" / "ingest"
SOURCE = ROOT / "source.jsonl"
WORDS = [
    "triangle",
    "integer",
    "prime",
    "sum",
    "product",
    "equation",
    "function",
    "circle",
    "radius",
    "angle",
    "sequence",
    "series",
    "probability",
    "expected",
    "value",
    "matrix",
    "vector",
    "polynomial",
    "root",
    "derivative",
    "integral",
    "limit",
    "graph",
    "vertex",
    "edge",
    "remainder",
    "digit",
]


def generate(rows: int, seed: int = 0) -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with open(SOURCE, "wb") as out:
        for index in range(rows):
            words = " ".join(rng.choices(WORDS, k=150))
            record = {
                "id": f"synthetic-{index}",
                "problem": f"Problem {index}: {words}?",
                "solution": f"We compute {words[:600]} so the answer is \\boxed{{{index % 997}}}.",
                "answer": str(index % 997),
                "level": f"Level {index % 5 + 1}",
                "type": rng.choice(["Algebra", "Geometry", "Number Theory"]),
            }
            out.write(orjson.dumps(record) + b"\n")
    size = SOURCE.stat().st_size
    print(f"wrote {rows} rows, {size / 1e9:.2f} GB ({size / rows:.0f} B/row) to {SOURCE}")


def registry_file() -> Path:
    path = ROOT / "sources.yaml"
    path.write_text(
        "sources:\n  synthetic:\n    path: source.jsonl\n    licence: generated\n    category: math\n"
        "    subcategory: {field: type}\n"
        "    difficulty: {field: level, map: {'Level 1': very easy, 'Level 2': easy, 'Level 3': medium,"
        " 'Level 4': hard, 'Level 5': very hard}}\n"
        "    fields:\n      id: id\n      prompt: problem\n"
        "      reference_answer: {field: solution, extract: last_boxed}\n"
        "      trace: {answer: solution, model: human}\n"
    )
    return path


def ingest() -> None:
    from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, RAW_PROBLEMS
    from amd_assets.ingest.normalize_stage import NormalizeStage
    from amd_assets.ingest.raw import RawIngest
    from amd_assets.registry import load_registry
    from amd_assets.sinks import QuarantineSink
    from resources.lakehouse import LakehouseResource

    lakehouse_root = ROOT / "lakehouse"
    shutil.rmtree(lakehouse_root, ignore_errors=True)
    lakehouse = LakehouseResource(root=str(lakehouse_root))
    registry = load_registry(registry_file())

    started = time.perf_counter()
    raw = RawIngest(registry, "synthetic", QuarantineSink("synthetic", "read"))
    lakehouse.replace_partition(
        RAW_PROBLEMS.name, raw.batches(), RAW_PROBLEMS.schema, {"source": "synthetic"}, ["source"]
    )
    raw.quarantine.write(lakehouse)
    raw_seconds = time.perf_counter() - started

    started = time.perf_counter()
    stage = NormalizeStage(lakehouse, registry.get("synthetic"), QuarantineSink("synthetic", "normalize"))
    lakehouse.replace_partition(
        NORMALIZED_PROBLEMS.name, stage.batches(), NORMALIZED_PROBLEMS.schema, {"source": "synthetic"}, ["source"]
    )
    stage.quarantine.write(lakehouse)
    normalize_seconds = time.perf_counter() - started

    rows = raw.stats.rows
    print(f"raw_problems:        {raw.rows_out} rows in {raw_seconds:.1f}s = {rows / raw_seconds:,.0f} rows/s")
    print(
        f"normalized_problems: {stage.rows_out} rows in {normalize_seconds:.1f}s = "
        f"{stage.rows_in / normalize_seconds:,.0f} rows/s"
    )
    total = raw_seconds + normalize_seconds
    print(f"ingest + normalize:  {total:.1f}s = {rows / total:,.0f} rows/s end to end")


def bare_orjson() -> None:
    started = time.perf_counter()
    rows = 0
    with open(SOURCE, "rb") as handle:
        for line in handle:
            orjson.loads(line)
            rows += 1
    seconds = time.perf_counter() - started
    print(f"bare orjson line loop: {rows} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s")


def bare_pyarrow() -> None:
    import pyarrow.json as pj

    started = time.perf_counter()
    rows = 0
    # Streaming reader: pyarrow's bare speed without holding the file in memory.
    reader = pj.open_json(SOURCE, read_options=pj.ReadOptions(block_size=16 << 20))
    for batch in reader:
        rows += batch.num_rows
    seconds = time.perf_counter() - started
    print(f"bare pyarrow.json streaming read: {rows} rows in {seconds:.1f}s = {rows / seconds:,.0f} rows/s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["generate", "ingest", "bare-orjson", "bare-pyarrow"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.step == "generate":
        generate(args.rows)
    elif args.step == "ingest":
        ingest()
    elif args.step == "bare-orjson":
        bare_orjson()
    else:
        bare_pyarrow()
    return 0


if __name__ == "__main__":
    sys.exit(main())
