"""`response_verdicts` for one source: every candidate response judged by the rules and by its category's
verifier (math-verify, the code sandbox, or the rubric judge), one row per (response, verifier, version). With a
judge configured, math-verify's mismatches also get the judge's second opinion (`math_judge`).

Only verdicts missing for the current verifier versions are computed, in chunks that are appended as they
finish: a re-run, or a crash, never re-verifies what is stored, and upgrading a verifier re-verifies with the
new version while the old rows stay for audit.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.verification.candidates import Candidate, candidates
from amd_assets.verification.code_verifier import extract_program
from amd_assets.verification.judge import MATH_JUDGE, JudgeItem, JudgeResource, MathJudgeItem
from amd_assets.verification.judge import VERIFIER as JUDGE_VERIFIER
from amd_assets.verification.math_verifier import MATH_VERIFIER, MATH_VERIFIER_VERSION, MathVerifierPool
from amd_assets.verification.rules import RuleSettings, run_rules
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from resources.sandbox import SandboxResource

CODE_VERIFIER = "code_sandbox"
CODE_VERIFIER_VERSION = "1"
CHUNK = 512


def category_verifier(candidate: Candidate, judge: JudgeResource | None = None) -> str:
    """Which verifier decides correctness: tests beat a reference answer, a reference beats the judge (rubric
    LLM judge or reward model, as the judge resource is configured)."""
    if candidate.test_cases:
        return CODE_VERIFIER
    if candidate.reference_answer:
        return MATH_VERIFIER
    return judge.verifier if judge is not None else JUDGE_VERIFIER


def rule_settings(candidate: Candidate, base: RuleSettings) -> RuleSettings:
    # Existing traces (human solutions, reference programs) often carry no reasoning: only teacher responses
    # must think, as the release format expects from them.
    return base.model_copy(update={"require_think": base.require_think and candidate.origin == "teacher"})


def verdict_row(
    candidate: Candidate,
    verifier: str,
    version: str,
    verdict: str,
    passed: bool,
    reason: str,
    detail: dict[str, Any],
    score: float | None,
    seconds: float,
) -> dict[str, Any]:
    """One `response_verdicts` row; reason and detail are truncated so a runaway program cannot bloat the table."""
    return {
        "response_id": candidate.response_id,
        "problem_id": candidate.problem_id,
        "source": candidate.source,
        "source_file": candidate.source_file,
        "source_row": candidate.source_row,
        "origin": candidate.origin,
        "verifier": verifier,
        "verifier_version": version,
        "verdict": verdict,
        "passed": passed,
        "score": score,
        "reason": reason[:500],
        "detail": orjson.dumps(detail, default=str, option=orjson.OPT_SORT_KEYS).decode()[:2000],
        "duration_s": seconds,
    }


@dataclass
class VerifyStage:
    lakehouse: LakehouseResource
    source: str
    sandbox: SandboxResource
    judge: JudgeResource
    math_pool: MathVerifierPool
    rules: RuleSettings = field(default_factory=RuleSettings)
    rows: int = 0
    skipped: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    _mismatches: set[str] = field(default_factory=set)  # responses whose current math verdict is `mismatch`

    def _stored(self) -> set[tuple[str, str, str]]:
        """(response, verifier, version) of every stored verdict; notes current math mismatches on the way."""
        if not self.lakehouse.exists(RESPONSE_VERDICTS.name):
            return set()
        table = self.lakehouse.read(
            RESPONSE_VERDICTS.name,
            columns=["response_id", "verifier", "verifier_version", "verdict"],
            filter=ds.field("source") == self.source,
        )
        keys = zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True)
        stored = set()
        for response, verifier, version, verdict in keys:
            stored.add((response, verifier, version))
            if (verifier, version, verdict) == (MATH_VERIFIER, MATH_VERIFIER_VERSION, "mismatch"):
                self._mismatches.add(response)
        return stored

    def batches(self) -> Iterator[pa.RecordBatch]:
        stored = self._stored()
        pending = candidates(self.lakehouse, self.source)
        while chunk := list(islice(pending, CHUNK)):
            rows = self._verify(chunk, stored)
            rows += self._second_opinions(chunk, stored)
            self.rows += len(rows)
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=RESPONSE_VERDICTS.schema)

    def _verify(self, chunk: list[Candidate], stored: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []

        def add(
            candidate: Candidate,
            verifier: str,
            version: str,
            verdict: str,
            passed: bool,
            reason: str,
            detail: dict[str, Any],
            score: float | None,
            seconds: float,
        ) -> None:
            if (candidate.response_id, verifier, version) in stored:
                self.skipped += 1
                return
            self.verdicts[f"{verifier}:{verdict}"] += 1
            rows.append(verdict_row(candidate, verifier, version, verdict, passed, reason, detail, score, seconds))

        for candidate in chunk:
            started = time.perf_counter()
            for rule in run_rules(candidate.prompt, candidate.text, rule_settings(candidate, self.rules)):
                add(
                    candidate,
                    rule.verifier,
                    rule.verifier_version,
                    rule.verdict,
                    rule.passed,
                    rule.reason,
                    rule.detail,
                    None,
                    time.perf_counter() - started,
                )
        by_verifier: dict[str, list[Candidate]] = {}
        for candidate in chunk:
            by_verifier.setdefault(category_verifier(candidate, self.judge), []).append(candidate)

        maths = [
            c
            for c in by_verifier.get(MATH_VERIFIER, [])
            if (c.response_id, MATH_VERIFIER, MATH_VERIFIER_VERSION) not in stored
        ]
        for candidate, verdict in zip(
            maths, self.math_pool.verify_many((c.text, c.reference_answer or "") for c in maths), strict=True
        ):
            if verdict.verdict == "mismatch":
                self._mismatches.add(candidate.response_id)
            add(
                candidate,
                MATH_VERIFIER,
                MATH_VERIFIER_VERSION,
                verdict.verdict,
                verdict.verdict == "pass",
                verdict.reason,
                {"extracted": verdict.extracted, "path": verdict.path},
                1.0 if verdict.verdict == "pass" else 0.0,
                verdict.duration_s,
            )

        codes = [
            c
            for c in by_verifier.get(CODE_VERIFIER, [])
            if (c.response_id, CODE_VERIFIER, CODE_VERIFIER_VERSION) not in stored
        ]
        programs = [
            (extract_program(c.answer, json.loads(c.test_cases or "{}").get("language", "python")) or "", c.test_cases)
            for c in codes
        ]
        for index, verdict in self.sandbox.verify_many(programs, ordered=True):
            candidate = codes[index]
            reason = verdict.reason if programs[index][0] else "no fenced program in the answer"
            add(
                candidate,
                CODE_VERIFIER,
                CODE_VERIFIER_VERSION,
                verdict.verdict.value,
                verdict.passed,
                reason,
                {"n_tests": verdict.n_tests, "failed_test": verdict.failed_test},
                verdict.pass_rate,
                verdict.wall_time_s,
            )

        judged = by_verifier.get(self.judge.verifier, [])
        results = self.judge.judge([JudgeItem(prompt=c.prompt, answer=c.answer) for c in judged]) if judged else []
        for candidate, verdict in zip(judged, results, strict=True):
            if verdict.verdict == "judge_error":
                continue  # a failed request is asked again next run, never stored as a verdict
            add(
                candidate,
                verdict.verifier,
                verdict.verifier_version,
                verdict.verdict,
                verdict.passed,
                verdict.reason,
                verdict.detail,
                verdict.score,
                verdict.duration_s,
            )
        return rows

    def _second_opinions(self, chunk: list[Candidate], stored: set[tuple[str, str, str]]) -> list[dict[str, Any]]:
        """The judge's look at math-verify's mismatches that have none yet under its current version."""
        if not self.judge.second_opinion:
            return []
        version = self.judge.math_judge_version
        asked = [
            c for c in chunk if c.response_id in self._mismatches and (c.response_id, MATH_JUDGE, version) not in stored
        ]
        items = [MathJudgeItem(c.prompt, c.reference_answer or "", c.answer) for c in asked]
        rows = []
        for candidate, verdict in zip(asked, self.judge.compare_answers(items) if items else [], strict=True):
            if verdict.verdict == "judge_error":
                continue  # asked again next run
            self.verdicts[f"{MATH_JUDGE}:{verdict.verdict}"] += 1
            rows.append(
                verdict_row(
                    candidate,
                    verdict.verifier,
                    verdict.verifier_version,
                    verdict.verdict,
                    verdict.passed,
                    verdict.reason,
                    verdict.detail,
                    verdict.score,
                    verdict.duration_s,
                )
            )
        return rows
