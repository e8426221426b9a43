"""A teacher response that wins its problem lands in the `distilled` split with its model and token count."""

import shutil
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.release.manifest import read_manifest
from tests.release.conftest import version_of
from tests.release.release_fixtures import small_pipeline

THINK = "The fractional part of a positive number is what remains after taking it modulo one."
ANSWER = "```python\ndef truncate_number(number: float) -> float:\n    return number % 1.0\n```"


def teacher_response(problem: dict) -> dict:
    """A teacher_responses row as generation writes it: a correct solution shorter than the existing trace."""
    text = f"<think>\n{THINK}\n</think>\n<answer>\n{ANSWER}\n</answer>"
    row = {name: None for name in TEACHER_RESPONSES.schema.names}
    row.update(
        {k: problem[k] for k in ("problem_id", "source", "source_file", "source_row", "category")},
        response_id="7" * 24,
        origin="teacher",
        sample_index=0,
        status="ok",
        truncated=False,
        text=text,
        think=THINK,
        answer=ANSWER,
        split_method="tags",
        finish_reason="stop",
        prompt_tokens=90,
        completion_tokens=42,
        latency_s=0.1,
        elapsed_s=0.1,
        attempts=1,
        backend="openai",
        model="test-teacher",
        sampling_params="{}",
        prompt_version="v",
        run_id="r",
        created_at=datetime.now(UTC),
    )
    return row


def test_a_winning_teacher_response_is_released_in_the_distilled_split(history, tmp_path):
    shutil.copytree(history.pipeline.lakehouse.root_path(), tmp_path / "lakehouse")
    pipeline = small_pipeline(tmp_path / "lakehouse", history.registry, tmp_path / "releases")
    (problem,) = pipeline.lakehouse.read("curated_problems", filter=ds.field("row_key") == "HumanEval/2").to_pylist()
    schema = TEACHER_RESPONSES.schema
    batch = pa.RecordBatch.from_pylist([teacher_response(problem)], schema=schema)
    pipeline.lakehouse.append(TEACHER_RESPONSES.name, [batch], schema, TEACHER_RESPONSES.partition_by)
    pipeline.verify("humaneval")
    folder = tmp_path / "releases" / version_of(pipeline.release())
    (row,) = pq.read_table(folder / "parquet" / "distilled-00000.parquet").to_pylist()
    assert (row["response_id"], row["origin"], row["model"], row["completion_tokens"]) == (
        "7" * 24,
        "teacher",
        "test-teacher",
        42,
    )
    assert row["messages"][1]["content"] == f"<think>\n{THINK}\n</think>\n<answer>\n{ANSWER}\n</answer>"
    assert {v["verifier"] for v in row["verdicts"]} >= {"code_sandbox", "rule_format", "rule_language"}
    manifest = read_manifest(folder)
    assert manifest["rows"]["by_split"] == {"existing_traces": 41, "distilled": 1}
    assert "teacher_responses" in manifest["upstream_delta_versions"]
    assert (folder / "jsonl" / "distilled-00000.jsonl.zst").is_file()
