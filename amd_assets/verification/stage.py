"""`response_verdicts` for one source: every candidate response judged by the verifiers the registry requires of
it (every rule, and its category's verifier: math-verify, the code sandbox, or the judge), one row per (response,
verifier, version); then the second opinions (the judge on math-verify's mismatches, with a judge configured).

Only verdicts missing for the current verifier versions are computed, in chunks that are appended as they
finish: a re-run, or a crash, never re-verifies what is stored, and upgrading a verifier re-verifies with the
new version while the old rows stay for audit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.verification.candidates import Candidate, candidates
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.registry import (
    Judgement,
    MathPool,
    Plans,
    Tools,
    VerifierRegistry,
    VerifierSettings,
    default_registry,
)
from amd_assets.verification.rules import RuleSettings
from amd_assets.verification.tables import RESPONSE_VERDICTS, VERIFIER_VERSIONS
from resources.lakehouse import LakehouseResource
from resources.sandbox import SandboxResource

CHUNK = 512
# A placeholder older runs stored when no judge was configured: not a verdict, so the response is asked again.
UNVERIFIED = "unverified"

Key = tuple[str, str, str]  # (response_id, verifier, verifier_version)


def verdict_row(candidate: Candidate, verifier: str, version: str, judgement: Judgement) -> dict[str, Any]:
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
        "verdict": judgement.verdict,
        "passed": judgement.passed,
        "score": judgement.score,
        "reason": judgement.reason[:500],
        "detail": orjson.dumps(judgement.detail, default=str, option=orjson.OPT_SORT_KEYS).decode()[:2000],
        "duration_s": judgement.duration_s,
    }


@dataclass
class VerifyStage:
    lakehouse: LakehouseResource
    source: str
    sandbox: SandboxResource | None  # None when no response needs it (a verifier that does says so)
    judge: JudgeResource
    math_pool: MathPool | None  # started by the first response that needs math-verify
    rules: RuleSettings = field(default_factory=RuleSettings)
    registry: VerifierRegistry = field(default_factory=default_registry)
    rows: int = 0
    skipped: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    # (response, verifier) whose current verdict is one a second opinion looks at again (math-verify's mismatch)
    _reviewable: set[tuple[str, str]] = field(default_factory=set)

    @property
    def settings(self) -> VerifierSettings:
        return VerifierSettings(self.judge, self.rules)

    def batches(self) -> Iterator[pa.RecordBatch]:
        settings = self.settings
        stored = self._stored(settings)
        tools = Tools(settings, self.sandbox, self.math_pool)
        plans = Plans(self.registry, settings)
        pending = candidates(self.lakehouse, self.source)
        while chunk := list(islice(pending, CHUNK)):
            rows = self._judge(self._due(chunk, stored, plans), tools)
            rows += self._judge(self._reviews_due(chunk, stored, settings), tools)
            self.rows += len(rows)
            if rows:
                yield pa.RecordBatch.from_pylist(rows, schema=RESPONSE_VERDICTS.schema)

    def versions_used(self, run_id: str) -> pa.RecordBatch:
        """The registry's current versions, which this run judged with: a `verifier_versions` batch."""
        now = datetime.now(UTC)
        rows = [
            {"source": self.source, "origin": origin, "verifier": name, "verifier_version": version}
            | {"run_id": run_id, "recorded_at": now}
            for origin, name, version in sorted(self.registry.current(self.settings))
        ]
        return pa.RecordBatch.from_pylist(rows, schema=VERIFIER_VERSIONS.schema)

    def _stored(self, settings: VerifierSettings) -> set[Key]:
        """(response, verifier, version) of every stored verdict; notes the current ones second opinions review."""
        if not self.lakehouse.exists(RESPONSE_VERDICTS.name):
            return set()
        reviewed = {reviewer.reviews for reviewer in self.registry.second_opinions()}
        current = {(origin, name): version for origin, name, version in self.registry.current(settings)}
        table = self.lakehouse.read(
            RESPONSE_VERDICTS.name,
            columns=["response_id", "origin", "verifier", "verifier_version", "verdict"],
            filter=ds.field("source") == self.source,
        )
        stored = set()
        for response, origin, verifier, version, verdict in zip(
            *(table.column(c).to_pylist() for c in table.column_names), strict=True
        ):
            if verdict == UNVERIFIED:
                continue
            stored.add((response, verifier, version))
            if (verifier, verdict) in reviewed and current.get((origin, verifier)) == version:
                self._reviewable.add((response, verifier))
        return stored

    def _due(self, chunk: list[Candidate], stored: set[Key], plans: Plans) -> dict[str, list[Candidate]]:
        """Per verifier, the chunk's responses it must judge that have no verdict under its current version."""
        due: dict[str, list[Candidate]] = {name: [] for name in self.registry.names()}
        for candidate in chunk:
            for verifier, version in plans.required(candidate):
                if (candidate.response_id, verifier.name, version) in stored:
                    self.skipped += 1
                else:
                    due[verifier.name].append(candidate)
        return due

    def _reviews_due(
        self, chunk: list[Candidate], stored: set[Key], settings: VerifierSettings
    ) -> dict[str, list[Candidate]]:
        """Per second opinion, the chunk's responses whose reviewed verdict it has not looked at (current versions)."""
        due: dict[str, list[Candidate]] = {}
        for reviewer in self.registry.second_opinions():
            reviewed = reviewer.reviews[0] if reviewer.reviews else ""
            due[reviewer.name] = [
                c
                for c in chunk
                if (c.response_id, reviewed) in self._reviewable
                and reviewer.applies(c, settings)
                and (c.response_id, reviewer.name, reviewer.version(settings, c.origin)) not in stored
            ]
        return due

    def _judge(self, due: dict[str, list[Candidate]], tools: Tools) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for name, pending in due.items():
            if not pending:
                continue
            verifier = self.registry.get(name)
            reviewed = {reviewer.reviews[1] for reviewer in self.registry.reviewers_of(name) if reviewer.reviews}
            versions = {origin: verifier.version(tools.settings, origin) for origin in {c.origin for c in pending}}
            for candidate, judgement in zip(pending, verifier.run(pending, tools), strict=True):
                if judgement is None:
                    continue  # no verdict now (a judge that did not answer): asked again next run
                if judgement.verdict in reviewed:
                    self._reviewable.add((candidate.response_id, name))
                self.verdicts[f"{name}:{judgement.verdict}"] += 1
                rows.append(verdict_row(candidate, name, versions[candidate.origin], judgement))
        return rows
