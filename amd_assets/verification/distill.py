"""`distilled_samples` for one source: one accepted response per problem, or the reason there is none.

Which responses are accepted is decided in `acceptance.py` (current verifier versions only). Among accepted
responses the highest score wins, then the shortest text, then the smallest response_id, so the choice is stable
across re-runs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.sinks import RejectionSink
from amd_assets.verification.acceptance import Acceptance, assess_source
from amd_assets.verification.candidates import Candidate
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.rules import RuleSettings
from amd_assets.verification.tables import DISTILLED_SAMPLES
from resources.lakehouse import LakehouseResource


@dataclass
class DistillStage:
    lakehouse: LakehouseResource
    source: str
    judge: JudgeResource
    rejections: RejectionSink
    rules: RuleSettings = field(default_factory=RuleSettings)
    problems: int = 0
    accepted: int = 0

    def batches(self) -> Iterator[pa.RecordBatch]:
        best: dict[str, tuple[tuple[float, int, str], dict[str, Any]]] = {}
        failures: dict[str, list[str]] = defaultdict(list)
        for candidate, verdict in assess_source(self.lakehouse, self.source, Acceptance(self.judge, self.rules)):
            if not verdict.accepted:
                failures[candidate.problem_id].extend(
                    [*verdict.failed, *(f"{name}:unverified" for name in verdict.missing)]
                )
                continue
            key = (-(verdict.score or 0.0), len(candidate.text), candidate.response_id)
            if candidate.problem_id not in best or key < best[candidate.problem_id][0]:
                summary = {name: outcome.verdict for name, (_, outcome) in verdict.decided_by.items()}
                best[candidate.problem_id] = (key, self._row(candidate, summary, verdict.score))
        self._list_gaps(best, failures)
        rows = [row for _, row in best.values()]
        self.accepted = len(rows)
        for start in range(0, len(rows), 4096):
            yield pa.RecordBatch.from_pylist(rows[start : start + 4096], schema=DISTILLED_SAMPLES.schema)

    @staticmethod
    def _row(candidate: Candidate, summary: dict[str, str], score: float | None) -> dict[str, Any]:
        return {
            "problem_id": candidate.problem_id,
            "response_id": candidate.response_id,
            "source": candidate.source,
            "source_file": candidate.source_file,
            "source_row": candidate.source_row,
            "origin": candidate.origin,
            "category": candidate.category,
            "prompt": candidate.prompt,
            "reference_answer": candidate.reference_answer,
            "test_cases": candidate.test_cases,
            "think": candidate.think,
            "answer": candidate.answer,
            "score": score,
            "verdicts": orjson.dumps(summary, option=orjson.OPT_SORT_KEYS).decode(),
        }

    def _list_gaps(self, best: dict[str, Any], failures: dict[str, list[str]]) -> None:
        """Every curated problem without an accepted response goes to `rejections` (stage `distill`) with why."""
        table = self.lakehouse.read(
            CURATED_PROBLEMS.name,
            columns=["problem_id", "source_file", "source_row"],
            filter=ds.field("source") == self.source,
        )
        for problem in table.to_pylist():
            self.problems += 1
            if problem["problem_id"] in best:
                continue
            reasons = failures.get(problem["problem_id"])
            if not reasons:
                self.rejections.add(problem, "no_response", {})
                continue
            counts = Counter(reasons)
            self.rejections.add(problem, "no_accepted_response", {"failed": dict(sorted(counts.items()))})
