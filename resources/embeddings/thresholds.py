"""Calibrated cosine thresholds per embedding model key (see data/semantic_pairs/ and benchmarks/semantic_dedup.py).

Semantic dedup uses a two-stage rule (amd_assets/semantic/rule.py): the ANN index proposes pairs above the lowest
cosine of the rule, and a pair is a duplicate when its cosine passes one of four floors, each with its own check of
the two problems' content tokens (amd_assets/semantic/content.py). `DedupCosines` holds the four floors of a model;
the token checks do not depend on the model. Decontamination compares a problem with benchmark items by cosine
only (`decontaminate`).

A threshold only means something for the model it was measured on: a model without an entry here needs explicit
thresholds (AMD_EMBEDDING_DEDUP_THRESHOLD, AMD_EMBEDDING_DECONTAMINATION_THRESHOLD) or the stages refuse to run.
A configured dedup threshold is a plain cosine rule (`DedupCosines.single`): the token checks are calibrated
together with the floors of a model, and an uncalibrated model has none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DedupCosines:
    """Cosine floors of the dedup rule's four ways to confirm a candidate pair (amd_assets/semantic/rule.py)."""

    alone: float  # a duplicate whatever the words
    few_differences: float  # ... when at most a few content tokens differ
    contained: float  # ... when one problem's content is inside the other's
    same_content: float  # ... when the content tokens are the same

    @classmethod
    def single(cls, threshold: float) -> DedupCosines:
        """The plain rule: cosine >= threshold is a duplicate."""
        return cls(threshold, threshold, threshold, threshold)

    @property
    def lowest(self) -> float:
        """The lowest cosine at which two problems can be merged: where the ANN candidates start."""
        return min(self.alone, self.few_differences, self.contained, self.same_content)

    @property
    def cosine_only(self) -> bool:
        """True when no candidate needs its content tokens checked."""
        return self.alone <= self.lowest


@dataclass(frozen=True)
class Thresholds:
    dedup: DedupCosines
    decontaminate: float
    note: str


CALIBRATED: dict[str, Thresholds] = {
    # dedup (benchmarks/semantic_dedup.py calibrate / real; figures and reading in amd_assets/semantic/rule.py):
    # labelled same-problem pairs P 0.44 R 0.965 (plain cosine >= 0.83: P 0.31 R 0.965), planted 2-3-word edits
    # recall 0.976, random pairs merged 0.006%; real test sets dropped: MBPP 11/500 (plain 172), HumanEval 1/164
    # (23), GSM8K 4/1319 (13), MATH 792/5000 (1200). few_differences: 0.83 keeps planted recall at 0.964 only,
    # 0.78 merges 36 more MATH problems for +0.004 recall; contained and same_content each keep one labelled
    # same-problem pair (recall 0.947 without); alone adds 2 real merges, both read as duplicates.
    # decontaminate: where labelled same-template precision is ~0.9 (boilerplate-only overlap is kept).
    "wordllama:l2_supercat@256": Thresholds(
        dedup=DedupCosines(alone=0.97, few_differences=0.80, contained=0.87, same_content=0.70),
        decontaminate=0.94,
        note="calibrated on data/semantic_pairs, planted 2-3 word edits and real MATH/GSM8K/MBPP/HumanEval "
        "(benchmarks/semantic_dedup.py)",
    ),
}


class UncalibratedModelError(ValueError):
    """No calibrated threshold for this model and none configured."""


def parse_threshold(value: str | float | None, name: str) -> float | None:
    """A configured threshold ("" or None = use the calibrated one); must lie in (0, 1]."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}") from None
    if not 0 < number <= 1:
        raise ValueError(f"{name} must be in (0, 1], got {number}")
    return number


def _calibrated(key: str, stage: str) -> Thresholds:
    calibrated = CALIBRATED.get(key)
    if calibrated is None:
        variable = "AMD_EMBEDDING_DEDUP_THRESHOLD" if stage == "dedup" else "AMD_EMBEDDING_DECONTAMINATION_THRESHOLD"
        raise UncalibratedModelError(
            f"no calibrated {stage} threshold for embedding model {key!r}: set {variable} (calibrate it on "
            "data/semantic_pairs with `benchmarks/semantic_dedup.py calibrate`)"
        )
    return calibrated


def dedup_cosines_for(key: str, configured: float | None = None) -> DedupCosines:
    """The dedup rule's cosines for model `key`: a plain rule at the configured threshold, else the calibrated one."""
    if configured is not None:
        return DedupCosines.single(configured)
    return _calibrated(key, "dedup").dedup


def threshold_for(key: str, stage: str, configured: float | None = None) -> float:
    """The configured threshold of `stage` ("dedup" or "decontaminate"), else the calibrated one of `key`; for
    dedup, the lowest cosine of its rule (where candidates start)."""
    if configured is not None:
        return configured
    calibrated = _calibrated(key, stage)
    return calibrated.dedup.lowest if stage == "dedup" else calibrated.decontaminate
