"""`decontaminated_problems` partition + `dedup_decisions` (+ `semantic_dedup_decisions`) → `curated_problems`:
the survivors of both dedup stages, with labels.

Difficulty comes from the source's mapping when present, else from the LLM labeler when one is configured,
else it is `unlabeled`. Optional downsampling keeps a seeded, stable share of matching problems: the same
problem is kept or dropped on every re-run.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.contracts.tables import (
    CURATED_PROBLEMS,
    DECONTAMINATED_PROBLEMS,
    DEDUP_DECISIONS,
    SEMANTIC_DEDUP_DECISIONS,
)
from amd_assets.curation.labeler import LabelerResource
from amd_assets.registry.model import DownsampleRule, SourceSpec
from amd_assets.sinks import RejectionSink
from resources.lakehouse import LakehouseResource

UNLABELED = "unlabeled"


class StaleDedupError(RuntimeError):
    """dedup_decisions does not cover the current decontaminated rows of the source."""


def keep_fraction(rules: list[DownsampleRule], category: str, difficulty: str) -> float:
    for rule in rules:
        if rule.category in (None, category) and rule.difficulty in (None, difficulty):
            return rule.keep
    return 1.0


def sampled_in(problem_id: str, seed: int, keep: float) -> bool:
    digest = hashlib.blake2b(f"{seed}\x1f{problem_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < keep


@dataclass
class CurateStage:
    lakehouse: LakehouseResource
    spec: SourceSpec
    labeler: LabelerResource
    rejections: RejectionSink
    rows_in: int = 0
    rows_out: int = 0
    difficulty_origins: Counter[str] = field(default_factory=Counter)
    label_failures: Counter[str] = field(default_factory=Counter)
    semantic_dedup: str = "not read"

    def _decisions(self) -> dict[str, tuple[bool, int]]:
        """problem_id -> (kept, duplicates merged into it + 1), exact/MinHash dedup then semantic dedup."""
        if not self.lakehouse.exists(DEDUP_DECISIONS.name):
            raise StaleDedupError("dedup_decisions does not exist yet: materialize it (job `deduplicate`) first")
        in_source = ds.field("source") == self.spec.name
        table = self.lakehouse.read(
            DEDUP_DECISIONS.name, columns=["problem_id", "is_kept", "cluster_size"], filter=in_source
        )
        decisions = {
            pid: (kept, size)
            for pid, kept, size in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True)
        }
        return self._semantic(decisions)

    def _semantic(self, decisions: dict[str, tuple[bool, int]]) -> dict[str, tuple[bool, int]]:
        """Drop the semantic duplicates among the dedup survivors (when semantic dedup has run)."""
        if not self.lakehouse.exists(SEMANTIC_DEDUP_DECISIONS.name):
            self.semantic_dedup = "not materialized"
            return decisions
        version = self.lakehouse.version(DEDUP_DECISIONS.name)
        table = self.lakehouse.read(
            SEMANTIC_DEDUP_DECISIONS.name,
            columns=["problem_id", "is_kept", "cluster_size", "dedup_version", "model"],
            filter=ds.field("source") == self.spec.name,
        )
        if table.num_rows and set(table.column("dedup_version").to_pylist()) != {version}:
            raise StaleDedupError(
                "semantic_dedup_decisions was computed from another dedup_decisions version: materialize "
                "semantic_dedup_decisions after dedup_decisions (job `deduplicate`), then curated_problems"
            )
        for pid, kept, size in zip(*(table.column(c).to_pylist() for c in table.column_names[:3]), strict=True):
            if pid in decisions:
                decisions[pid] = (decisions[pid][0] and kept, decisions[pid][1] + size - 1)
        self.semantic_dedup = table.column("model")[0].as_py() if table.num_rows else "no survivors"
        return decisions

    def batches(self) -> Iterator[pa.RecordBatch]:
        decisions = self._decisions()
        in_source = ds.field("source") == self.spec.name
        for batch in self.lakehouse.scan(DECONTAMINATED_PROBLEMS.name, filter=in_source):
            rows = batch.to_pylist()
            self.rows_in += len(rows)
            undecided = [row["problem_id"] for row in rows if row["problem_id"] not in decisions]
            if undecided:
                raise StaleDedupError(
                    f"{len(undecided)} problems of {self.spec.name!r} (e.g. {undecided[0]}) have no dedup decision: "
                    "materialize dedup_decisions after decontaminated_problems, then curated_problems"
                )
            survivors = [row for row in rows if decisions[row["problem_id"]][0]]
            self._label(survivors)
            out = []
            for row in survivors:
                keep = keep_fraction(self.spec.downsample, row["category"], row["difficulty"])
                if keep < 1.0 and not sampled_in(row["problem_id"], self.spec.downsample_seed, keep):
                    detail = {"keep": keep, "category": row["category"], "difficulty": row["difficulty"]}
                    self.rejections.add(row, "downsampled", detail)
                    continue
                row["duplicates_merged"] = decisions[row["problem_id"]][1] - 1
                out.append(row)
            self.rows_out += len(out)
            if out:
                yield pa.RecordBatch.from_pylist(out, schema=CURATED_PROBLEMS.schema)

    def _label(self, rows: list[dict[str, object]]) -> None:
        for row in rows:
            row["category_origin"] = "source"
        needs = [row for row in rows if row["difficulty"] is None]
        for row in rows:
            if row["difficulty"] is not None:
                row["difficulty_origin"] = "source"
        labels = self.labeler.label([str(row["prompt"]) for row in needs]) if needs else []
        for row, label in zip(needs, labels, strict=True):
            if label.difficulty is not None:
                row["difficulty"], row["difficulty_origin"] = label.difficulty, "labeler"
            else:
                row["difficulty"], row["difficulty_origin"] = UNLABELED, UNLABELED
                if self.labeler.configured:
                    self.label_failures[label.error or "unknown"] += 1
        self.difficulty_origins.update(str(row["difficulty_origin"]) for row in rows)
