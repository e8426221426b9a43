"""`distilled_samples` for one source: one accepted response per problem, or the reason there is none.

A response is accepted when every rule and its category's verifier passed it under the CURRENT verifier
versions (rows of older versions are kept for audit but do not count). Among accepted responses the highest
score wins, then the shortest text, then the smallest response_id, so the choice is stable across re-runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.sinks import RejectionSink
from amd_assets.verification.candidates import Candidate, candidates
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.math_verifier import MATH_VERIFIER, MATH_VERIFIER_VERSION
from amd_assets.verification.rules import RuleSettings, verifier_version
from amd_assets.verification.stage import CODE_VERIFIER, CODE_VERIFIER_VERSION, category_verifier, rule_settings
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource

RULES = ("rule_format", "rule_repetition", "rule_length", "rule_language")
Outcome = tuple[bool, float | None, str]


def required_versions(candidate: Candidate, rules: RuleSettings, judge: JudgeResource) -> dict[str, str]:
    """The verifiers (and their current versions) that must all pass this response."""
    settings = rule_settings(candidate, rules)
    names = [name for name in RULES if name != "rule_language" or settings.check_language]
    wanted = {name: verifier_version(name, settings) for name in names}
    verifier = category_verifier(candidate)
    current = {MATH_VERIFIER: MATH_VERIFIER_VERSION, CODE_VERIFIER: CODE_VERIFIER_VERSION}
    wanted[verifier] = current.get(verifier, judge.verifier_version)
    return wanted


@dataclass
class DistillStage:
    lakehouse: LakehouseResource
    source: str
    judge: JudgeResource
    rejections: RejectionSink
    rules: RuleSettings = field(default_factory=RuleSettings)
    problems: int = 0
    accepted: int = 0

    def _verdicts(self) -> dict[str, dict[tuple[str, str], Outcome]]:
        """response_id → {(verifier, version): (passed, score, verdict)}."""
        found: dict[str, dict[tuple[str, str], Outcome]] = defaultdict(dict)
        if not self.lakehouse.exists(RESPONSE_VERDICTS.name):
            return found
        columns = ["response_id", "verifier", "verifier_version", "passed", "score", "verdict"]
        table = self.lakehouse.read(RESPONSE_VERDICTS.name, columns=columns, filter=ds.field("source") == self.source)
        for row in table.to_pylist():
            outcome = (row["passed"], row["score"], row["verdict"])
            found[row["response_id"]][(row["verifier"], row["verifier_version"])] = outcome
        return found

    def batches(self) -> Iterator[pa.RecordBatch]:
        verdicts = self._verdicts()
        best: dict[str, tuple[tuple[float, int, str], dict[str, Any]]] = {}
        failures: dict[str, list[str]] = defaultdict(list)
        for candidate in candidates(self.lakehouse, self.source):
            stored = verdicts.get(candidate.response_id, {})
            outcome = {
                name: stored.get((name, version))
                for name, version in required_versions(candidate, self.rules, self.judge).items()
            }
            problems = [
                f"{name}:unverified" if result is None else name
                for name, result in outcome.items()
                if result is None or not result[0]
            ]
            if problems:
                failures[candidate.problem_id].extend(problems)
                continue
            score = outcome[category_verifier(candidate)][1]  # type: ignore[index]
            key = (-(score or 0.0), len(candidate.text), candidate.response_id)
            if candidate.problem_id not in best or key < best[candidate.problem_id][0]:
                summary = {name: result[2] for name, result in outcome.items() if result is not None}
                best[candidate.problem_id] = (key, self._row(candidate, summary, score))
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
            counts: dict[str, int] = defaultdict(int)
            for reason in reasons:
                counts[reason] += 1
            self.rejections.add(problem, "no_accepted_response", {"failed": dict(sorted(counts.items()))})
