"""Helpers shared by the generation tests: a small curated partition and a teacher tuned for fast faults.

A module of its own (not conftest) because several conftest.py files share that module name in one session.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from fake_openai_server import FakeOpenAIServer

from amd_assets.contracts.tables import NORMALIZED_PROBLEMS
from amd_assets.generation.selection import CURATED_TABLE
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.candidates import candidates
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.registry import Judgement
from amd_assets.verification.stage import verdict_row
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource

SOURCE = "gsm8k"  # any registered source: its partition key is all that matters here

# Short timeouts and backoff keep the fault tests fast; behaviour is the same at production settings.
FAST: dict[str, Any] = {
    "request_timeout_s": 2.0,
    "connect_timeout_s": 1.0,
    "initial_backoff_s": 0.01,
    "max_backoff_s": 0.05,
    "max_attempts": 4,
    "max_concurrency": 8,
    "model": "deepseek-ai/DeepSeek-R1",
}


def problem(index: int, *, source: str = SOURCE, trace: bool = False, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "problem_id": f"{index:024x}",
        "source": source,
        "source_file": f"data/{source}.jsonl",
        "source_row": index + 1,
        "row_key": f"k{index}",
        "category": "math",
        "subcategory": None,
        "difficulty": None,
        "language": "en",
        "prompt": f"problem number {index}: what is {index} + {index}?",
        "reference_answer": str(2 * index),
        "test_cases": None,
        "num_test_cases": 0,
        "trace_think": None,
        "trace_answer": "an existing answer" if trace else None,
        "trace_origin": "existing" if trace else None,
        "trace_model": "human" if trace else None,
        "metadata": "{}",
    }
    row.update(fields)
    return row


def write_curated(lakehouse: LakehouseResource, rows: list[dict[str, Any]], source: str = SOURCE) -> None:
    """A `curated_problems` partition with the normalized columns (what the curation stage hands over)."""
    batch = pa.RecordBatch.from_pylist(rows, schema=NORMALIZED_PROBLEMS.schema)
    lakehouse.replace_partition(CURATED_TABLE, [batch], NORMALIZED_PROBLEMS.schema, {"source": source}, ["source"])


def make_teacher(server: FakeOpenAIServer, **overrides: Any) -> TeacherResource:
    return TeacherResource(**{"backend": "openai", "base_urls": server.url, **FAST, **overrides})


def write_verdicts(lakehouse: LakehouseResource, passed: dict[str, bool], source: str = SOURCE) -> None:
    """What the verification stage writes for these responses (response_id → accepted?): a row for every
    verifier acceptance requires, under the current versions; a rejected one fails its category verifier."""
    acceptance = Acceptance(JudgeResource())
    rows = []
    for candidate in candidates(lakehouse, source):
        if candidate.response_id not in passed:
            continue
        category = acceptance.category_verifier(candidate)
        for verifier, version in acceptance.required(candidate).items():
            ok = passed[candidate.response_id] or verifier != category
            verdict = "pass" if ok else "mismatch"
            rows.append(verdict_row(candidate, verifier, version, Judgement(verdict, ok, verdict, {}, float(ok), 0.0)))
    batch = pa.RecordBatch.from_pylist(rows, schema=RESPONSE_VERDICTS.schema)
    lakehouse.append(RESPONSE_VERDICTS.name, [batch], RESPONSE_VERDICTS.schema, ["source"])
