"""Release build throughput and memory on generated upstream tables. Not part of the test suite.

    uv run --frozen python benchmarks/release.py generate [--rows 1400000]   # benchmarks/out/release/n<rows>/lakehouse
    uv run --frozen python benchmarks/release.py release [--rows 1400000]    # build_release into .../n<rows>/releases
    /usr/bin/time -v uv run --frozen python benchmarks/release.py release --rows 1400000

`generate` writes `curated_problems`, `distilled_samples` and `response_verdicts` for `--sources` sources (math,
code and general; each problem's accepted response is an existing trace or a teacher response), streaming record
batches into Delta. Text sizes follow the real data: prompt ~300 chars, think ~3,000, answer ~400. The text is
random words from a 4,096-word Zipf vocabulary, cut at random offsets of a 64 MB pool, so it compresses about
like prose instead of collapsing to nothing. Every distilled response has its rule and category verdicts at the
CURRENT versions (`Acceptance.required`) and ~10% also carry a stale rule_format row of an older version, which
the release must ignore. No `teacher_responses` table: teacher rows go out with model / completion_tokens null.

`release` runs `build_release` with default config and prints rows, seconds, rows/s, the output sizes and the
peak RSS of this process and of its children (git). Run it on two sizes to see whether memory stays bounded.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource

OUT = Path(__file__).resolve().parent / "out" / "release"
BATCH = 8192
POOL_CHARS = 64 << 20
CATEGORIES = ("math", "code", "general")
DIFFICULTIES = ("very easy", "easy", "medium", "hard", "very hard", "unlabeled")
SUBCATEGORIES = {"math": ("Algebra", "Geometry", "Number Theory"), "code": ("arrays", "strings"), "general": (None,)}
TESTS = orjson.dumps(
    {
        "kind": "assert",
        "language": "python",
        "entry_point": "solve",
        "setup": None,
        "cases": [{"code": "assert solve(" + ", ".join(str(i) for i in range(k * 7)) + f") == {k}"} for k in range(6)],
    }
).decode()


def folder(rows: int) -> Path:
    return OUT / f"n{rows}"


def source_name(index: int, sources: int) -> str:
    """Half the sources math, 30% code, 20% general, as in the registry's mix."""
    share = index / sources
    return f"bench_{CATEGORIES[0 if share < 0.5 else 1 if share < 0.8 else 2]}_{index:02d}"


def source_sizes(rows: int, sources: int) -> dict[str, int]:
    """Uneven sources (the largest ~3x the smallest), summing to `rows`."""
    weights = np.linspace(1.0, 3.0, sources)
    sizes = np.floor(weights / weights.sum() * rows).astype(int)
    sizes[-1] += rows - sizes.sum()
    return {source_name(i, sources): int(n) for i, n in enumerate(sizes)}


def text_pool(seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    letters = np.array(list("etaoinshrdlucmfwypvbgkjqxz"))
    vocab = ["".join(rng.choice(letters, size=rng.integers(2, 11))) for _ in range(4096)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    words = rng.choice(len(vocab), size=POOL_CHARS // 7, p=weights / weights.sum())
    return " ".join(vocab[i] for i in words)[:POOL_CHARS]


class Texts:
    def __init__(self, pool: str, rng: np.random.Generator) -> None:
        self.pool, self.rng = pool, rng

    def many(self, count: int, mean: int) -> list[str]:
        lengths = np.clip(self.rng.normal(mean, mean / 3, count), mean / 10, mean * 3).astype(int)
        starts = self.rng.integers(0, len(self.pool) - mean * 3, count)
        return [self.pool[s : s + n] for s, n in zip(starts.tolist(), lengths.tolist(), strict=True)]


def current_required(judge: JudgeResource) -> dict[tuple[str, str], dict[str, str]]:
    """(origin, category) → {verifier: current version}, exactly what acceptance asks of such a response."""
    acceptance = Acceptance(judge)
    kinds = {"code": (TESTS, None), "math": (None, "42"), "general": (None, None)}
    required = {}
    for origin in ("existing", "teacher"):
        for category, (tests, reference) in kinds.items():
            candidate = Candidate("", "", "", "", 1, origin, category, "", reference, tests, None, "")
            required[origin, category] = acceptance.required(candidate)
    return required


def _id(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


def base_batches(source: str, size: int, seed: int, pool: str) -> Iterator[dict[str, list]]:
    """The source's problems and accepted responses as column lists, one batch at a time, deterministic per
    (source, batch), so each table is generated by the same stream."""
    category = source.split("_")[1]
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        rng = np.random.default_rng([seed, int(source[-2:]), start])
        texts = Texts(pool, rng)
        rows = list(range(start, start + count))
        problem_ids = [_id(source, str(row)) for row in rows]
        origins = np.where(rng.random(count) < 0.4, "existing", "teacher").tolist()
        yield {
            "problem_id": problem_ids,
            "response_id": [_id(p, o) for p, o in zip(problem_ids, origins, strict=True)],
            "source": [source] * count,
            "source_file": [f"{source}/part-{row // 100_000:03d}.jsonl" for row in rows],
            "source_row": rows,
            "origin": origins,
            "category": [category] * count,
            "subcategory": [SUBCATEGORIES[category][i % len(SUBCATEGORIES[category])] for i in rows],
            "difficulty": [DIFFICULTIES[i] for i in rng.integers(0, len(DIFFICULTIES), count).tolist()],
            "prompt": texts.many(count, 300),
            "reference_answer": [str(i % 997) for i in rows] if category == "math" else [None] * count,
            "test_cases": [TESTS] * count if category == "code" else [None] * count,
            "think": texts.many(count, 3000),
            "answer": texts.many(count, 400),
            "score": (rng.uniform(0.75, 1.0, count).round(3) if category == "general" else np.ones(count)).tolist(),
        }


def curated(base: dict[str, list]) -> pa.RecordBatch:
    count = len(base["problem_id"])
    existing = [o == "existing" for o in base["origin"]]
    columns = {
        **{name: base[name] for name in ("problem_id", "source", "source_file", "source_row", "category")},
        "row_key": [str(r) for r in base["source_row"]],
        "subcategory": base["subcategory"],
        "difficulty": base["difficulty"],
        "language": ["en"] * count,
        "prompt": base["prompt"],
        "reference_answer": base["reference_answer"],
        "test_cases": base["test_cases"],
        "num_test_cases": [6 if t else 0 for t in base["test_cases"]],
        "trace_think": [t if e else None for t, e in zip(base["think"], existing, strict=True)],
        "trace_answer": [a if e else None for a, e in zip(base["answer"], existing, strict=True)],
        "trace_origin": ["source" if e else None for e in existing],
        "trace_model": ["DeepSeek-R1" if e else None for e in existing],
        "metadata": ['{"license":"generated"}'] * count,
        "category_origin": ["source"] * count,
        "difficulty_origin": ["labeler"] * count,
        "duplicates_merged": [0] * count,
    }
    return pa.RecordBatch.from_pydict(columns, schema=CURATED_PROBLEMS.schema)


def distilled(base: dict[str, list], required: dict[tuple[str, str], dict[str, str]]) -> pa.RecordBatch:
    summaries = {
        key: orjson.dumps(dict.fromkeys(wanted, "pass"), option=orjson.OPT_SORT_KEYS).decode()
        for key, wanted in required.items()
    }
    columns = {name: base[name] for name in DISTILLED_SAMPLES.schema.names if name != "verdicts"}
    columns["verdicts"] = [summaries[o, c] for o, c in zip(base["origin"], base["category"], strict=True)]
    return pa.RecordBatch.from_pydict(columns, schema=DISTILLED_SAMPLES.schema)


def verdicts(base: dict[str, list], required: dict[tuple[str, str], dict[str, str]]) -> pa.RecordBatch:
    columns: dict[str, list] = {name: [] for name in RESPONSE_VERDICTS.schema.names}
    lineage = ("response_id", "problem_id", "source", "source_file", "source_row", "origin")
    for i, (origin, category, score) in enumerate(zip(base["origin"], base["category"], base["score"], strict=True)):
        wanted = list(required[origin, category].items())
        if i % 10 == 0:  # a verdict of an older rule version: kept for audit, must not count
            wanted.append(("rule_format", "0+00000000"))
        for verifier, version in wanted:
            for name in lineage:
                columns[name].append(base[name][i])
            rule = verifier.startswith("rule_")
            columns["verifier"].append(verifier)
            columns["verifier_version"].append(version)
            columns["verdict"].append("pass")
            columns["passed"].append(True)
            columns["score"].append(None if rule else score)
            columns["reason"].append("ok" if rule else "all tests passed" if category == "code" else "equivalent")
            columns["detail"].append("{}" if rule else '{"path":"exact_numeric","extracted":"42"}')
            columns["duration_s"].append(0.001 if rule else 0.05)
    return pa.RecordBatch.from_pydict(columns, schema=RESPONSE_VERDICTS.schema)


def generate(rows: int, sources: int, seed: int) -> None:
    root = folder(rows)
    shutil.rmtree(root, ignore_errors=True)
    lakehouse = LakehouseResource(root=str(root / "lakehouse"))
    required = current_required(JudgeResource())
    started = time.perf_counter()
    pool = text_pool(seed)
    print(f"text pool: {len(pool) / 1e6:.0f} MB in {time.perf_counter() - started:.1f}s")
    tables = (
        (CURATED_PROBLEMS, curated),
        (DISTILLED_SAMPLES, lambda base: distilled(base, required)),
        (RESPONSE_VERDICTS, lambda base: verdicts(base, required)),
    )
    for source, size in source_sizes(rows, sources).items():
        for contract, build in tables:
            batches = (build(base) for base in base_batches(source, size, seed, pool))
            lakehouse.replace_partition(
                contract.name, batches, contract.schema, {"source": source}, contract.partition_by
            )
        print(f"{source}: {size} problems ({time.perf_counter() - started:.0f}s)", flush=True)
    seconds = time.perf_counter() - started
    print(f"generated {rows} rows over {sources} sources in {seconds:.0f}s; {du(root / 'lakehouse') / 1e9:.2f} GB")
    for contract, _ in tables:
        print(f"  {contract.name}: {lakehouse.count(contract.name)} rows, {du(root / 'lakehouse' / contract.name):,} B")


def du(path: Path, pattern: str = "**/*") -> int:
    return sum(p.stat().st_size for p in path.glob(pattern) if p.is_file())


def peak_rss_mb() -> tuple[float, float]:
    """ru_maxrss is in KiB on Linux: (this process, its largest waited-for child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024


def release(rows: int) -> None:
    from amd_assets.release.build import build_release
    from amd_assets.release.store import ReleaseConfig, ReleaseStoreResource

    root = folder(rows)
    if not (root / "lakehouse").is_dir():
        raise SystemExit(f"no lakehouse at {root / 'lakehouse'}: run `generate --rows {rows}` first")
    shutil.rmtree(root / "releases", ignore_errors=True)
    lakehouse = LakehouseResource(root=str(root / "lakehouse"))
    lakehouse_bytes = du(root / "lakehouse")
    store = ReleaseStoreResource(root=str(root / "releases"))
    started = time.perf_counter()
    built = build_release(lakehouse, store, JudgeResource(), ReleaseConfig())
    seconds = time.perf_counter() - started
    total = sum(built.rows_by_split.values())
    jsonl, parquet = du(built.path, "jsonl/*.jsonl.zst"), du(built.path, "parquet/*.parquet")
    release_rows = du(root / "lakehouse") - lakehouse_bytes
    own, child = peak_rss_mb()
    rate = total / seconds
    print(f"release {built.version}: {total} rows {built.rows_by_split} in {seconds:.1f}s = {rate:,.0f} rows/s")
    print(f"  expected rows: {rows} ({'ok' if total == rows else 'MISMATCH'})")
    for label, size, pattern in (("JSONL.zst", jsonl, "jsonl/*"), ("Parquet  ", parquet, "parquet/*")):
        files = len(list(built.path.glob(pattern)))
        print(f"  {label} {size / 1e6:,.1f} MB ({size / max(total, 1):,.0f} B/row) in {files} files")
    print(f"  release_rows Delta ~{release_rows / 1e6:,.1f} MB; upstream lakehouse {lakehouse_bytes / 1e9:.2f} GB")
    print(f"  peak RSS: this process {own:,.0f} MB, largest child {child:,.0f} MB")
    print(f"  reproduce: /usr/bin/time -v uv run --frozen python benchmarks/release.py release --rows {rows}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["generate", "release", "clean"])
    parser.add_argument("--rows", type=int, default=1_400_000)
    parser.add_argument("--sources", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.step == "generate":
        generate(args.rows, args.sources, args.seed)
    elif args.step == "release":
        release(args.rows)
    else:
        shutil.rmtree(folder(args.rows), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
