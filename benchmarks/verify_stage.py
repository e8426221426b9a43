"""The `stage` mode of benchmarks/verify.py: the real `response_verdicts` asset materialized for a generated
general source (the R1-style responses of benchmarks/verify_rules_corpus.py as existing traces, rules only).
"""

from __future__ import annotations

import time
from typing import Any

from verify_rules_corpus import build_responses


def general_problems(count: int, seed: int, source: str) -> list[dict[str, Any]]:
    """`count` curated general problems (no reference answer, no tests) with R1-style existing traces of ~2 KB."""
    from amd_assets.ingest.raw import problem_id

    responses, _ = build_responses(count, seed)
    rows = []
    for index, (prompt, text) in enumerate(responses):
        think, _, rest = text.removeprefix("<think>\n").partition("\n</think>\n<answer>\n")
        key = f"g{index}"
        rows.append(
            {
                "problem_id": problem_id(source, key),
                "source": source,
                "source_file": f"data/{source}.jsonl",
                "source_row": index,
                "row_key": key,
                "category": "general",
                "subcategory": None,
                "difficulty": None,
                "language": "en",
                "prompt": prompt,
                "reference_answer": None,
                "test_cases": None,
                "num_test_cases": 0,
                "trace_think": think,
                "trace_answer": rest.removesuffix("\n</answer>"),
                "trace_origin": "existing",
                "trace_model": "deepseek-r1",
                "metadata": "{}",
            }
        )
    return rows


def bench_stage(count: int, seed: int, profile: str | None) -> dict[str, object]:
    """`response_verdicts` materialized for a generated general source of `count` problems with existing traces
    (rules only, no judge configured): rows/s of the real asset, optionally under cProfile (`profile`: a path)."""
    import cProfile
    import tempfile

    import pyarrow as pa
    from dagster import materialize

    from amd_assets.contracts.tables import NORMALIZED_PROBLEMS
    from amd_assets.resources import build_resources
    from amd_assets.settings import fill_environment_defaults
    from amd_assets.verification.assets import response_verdicts
    from amd_assets.verification.tables import RESPONSE_VERDICTS
    from resources.lakehouse import LakehouseResource
    from tests.dagster_support import source_instance

    source = "generated_general"
    fill_environment_defaults()
    with tempfile.TemporaryDirectory() as root:
        lakehouse = LakehouseResource(root=root)
        batch = pa.RecordBatch.from_pylist(general_problems(count, seed, source), schema=NORMALIZED_PROBLEMS.schema)
        schema = NORMALIZED_PROBLEMS.schema
        lakehouse.replace_partition("curated_problems", [batch], schema, {"source": source}, ["source"])
        resources = build_resources(overrides={"lakehouse": lakehouse})
        instance = source_instance(source)
        profiler = cProfile.Profile() if profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        result = materialize([response_verdicts], partition_key=source, instance=instance, resources=resources)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rows = lakehouse.count(RESPONSE_VERDICTS.name)
    metadata = result.asset_materializations_for_node("response_verdicts")[0].metadata
    return {
        "problems": count,
        "verdict_rows": rows,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "responses_per_s": round(count / seconds, 1),
        "verdicts": metadata["verdicts"].value,
        "math_pool": metadata["math_pool"].value,
    }
