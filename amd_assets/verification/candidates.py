"""The responses verification judges: existing traces of curated problems and the teacher's responses.

Both become one record shape. An existing trace gets a response_id like a teacher response (origin
`existing`, the trace's model, no sampling params, sample 0, plus a hash of the trace's text), so verdicts key
on the same id either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow.dataset as ds

from amd_assets.contracts.columns import PROBLEM_KEY
from amd_assets.contracts.tables import CURATED_PROBLEMS
from resources.lakehouse import LakehouseResource

TEACHER_TABLE = "teacher_responses"
CHUNK = 1024  # existing traces read per batch
PROBLEM_COLUMNS = [
    *PROBLEM_KEY,
    "category",
    "prompt",
    "reference_answer",
    "test_cases",
    "trace_think",
    "trace_answer",
    "trace_model",
]


@dataclass(frozen=True)
class Candidate:
    response_id: str
    problem_id: str
    source: str
    source_file: str
    source_row: int
    origin: str
    category: str
    prompt: str
    reference_answer: str | None
    test_cases: str | None
    think: str | None
    answer: str
    truncated: bool = False
    raw_text: str | None = None
    reasoning: str | None = None  # the server's separate reasoning field (vLLM `--reasoning-parser`), if any

    @cached_property
    def text(self) -> str:
        """What the verifiers judge: the teacher's text as it came back, with the reasoning the server returned
        in its own field put back as the think block; for an existing trace the release format,
        `<think>…</think>` (when there is reasoning) then `<answer>…</answer>`."""
        if self.raw_text is not None:
            return with_reasoning(self.raw_text, self.reasoning)
        think = f"<think>\n{self.think}\n</think>\n" if self.think else ""
        return f"{think}<answer>\n{self.answer}\n</answer>"


def with_reasoning(content: str, reasoning: str | None) -> str:
    """The response as the model wrote it: a reasoning parser moves the think part out of the content, so it is
    put back in front as `<think>…</think>`. Content that still carries think tags is left as it is."""
    if not reasoning or not reasoning.strip() or "<think>" in content or "</think>" in content:
        return content
    return f"<think>\n{reasoning.strip()}\n</think>\n{content.lstrip()}"


def existing_response_id(problem_id: str, model: str | None, think: str | None, answer: str) -> str:
    # The trace's text is part of the key: a source file whose trace was corrected must be verified again,
    # while an unchanged re-ingest keeps its id (and its verdicts).
    text = hashlib.blake2b(f"{think or ''}\x1f{answer}".encode(), digest_size=12).hexdigest()
    key = "\x1f".join([problem_id, "existing", model or "unknown", "{}", "", "0", text])
    return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


def candidates(lakehouse: LakehouseResource, source: str) -> Iterator[Candidate]:
    """Existing traces first, then every teacher response that came back (ok or truncated), problem by problem
    metadata joined from curated_problems: a response to a problem curation no longer keeps is not judged.

    Streamed: the existing traces batch by batch; the teacher responses with an index of their problems' fields
    without the traces (a source's traces held as Python strings would grow with the source: ~2 KB a problem)."""
    in_source = ds.field("source") == source
    with_trace = in_source & ds.field("trace_answer").is_valid()
    for batch in lakehouse.scan(CURATED_PROBLEMS.name, columns=PROBLEM_COLUMNS, filter=with_trace, batch_size=CHUNK):
        for problem in batch.to_pylist():
            response_id = existing_response_id(
                problem["problem_id"], problem["trace_model"], problem["trace_think"], problem["trace_answer"]
            )
            think, answer = problem["trace_think"], problem["trace_answer"]
            yield _candidate(problem, response_id, "existing", think, answer, truncated=False)
    columns = ["response_id", "problem_id", "status", "think", "answer", "text", "reasoning", "truncated"]
    returned = in_source & ds.field("status").isin(["ok", "truncated"])
    problems: dict[str, dict[str, Any]] | None = None
    for batch in lakehouse.scan(TEACHER_TABLE, columns=columns, filter=returned):
        if problems is None:  # only when the source has teacher responses
            fields = [name for name in PROBLEM_COLUMNS if not name.startswith("trace_")]
            rows = lakehouse.read(CURATED_PROBLEMS.name, columns=fields, filter=in_source).to_pylist()
            problems = {row["problem_id"]: row for row in rows}
        for row in batch.to_pylist():
            problem = problems.get(row["problem_id"])
            if problem is None:
                continue
            yield _candidate(
                problem,
                row["response_id"],
                "teacher",
                row["think"],
                row["answer"] or "",
                bool(row["truncated"]),
                raw_text=row["text"] or "",
                reasoning=row["reasoning"],
            )


def _candidate(
    problem: dict[str, Any],
    response_id: str,
    origin: str,
    think: str | None,
    answer: str,
    truncated: bool,
    raw_text: str | None = None,
    reasoning: str | None = None,
) -> Candidate:
    return Candidate(
        response_id=response_id,
        problem_id=str(problem["problem_id"]),
        source=str(problem["source"]),
        source_file=str(problem["source_file"]),
        source_row=int(problem["source_row"]),
        origin=origin,
        category=str(problem["category"]),
        prompt=str(problem["prompt"]),
        reference_answer=problem["reference_answer"],
        test_cases=problem["test_cases"],
        think=think,
        answer=str(answer),
        truncated=truncated,
        raw_text=raw_text,
        reasoning=reasoning,
    )
