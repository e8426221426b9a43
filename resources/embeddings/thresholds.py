"""Calibrated cosine thresholds per embedding model key (see data/semantic_pairs/ and benchmarks/semantic_dedup.py).

A threshold only means something for the model it was measured on: a model without an entry here needs explicit
thresholds (AMD_EMBEDDING_DEDUP_THRESHOLD, AMD_EMBEDDING_DECONTAMINATION_THRESHOLD) or the stages refuse to run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    dedup: float
    decontaminate: float
    note: str


CALIBRATED: dict[str, Thresholds] = {
    # dedup: the highest threshold with recall >= 0.95 on both the labelled same-problem pairs (0.965 at 0.83, 0.947
    # at 0.84) and planted 2-3-word edits (0.98), random pairs merged 0%; precision on look-alikes is low (0.31).
    # decontaminate: higher, where labelled same-template precision is ~0.9 (boilerplate-only overlap is kept).
    "wordllama:l2_supercat@256": Thresholds(
        dedup=0.83,
        decontaminate=0.94,
        note="calibrated on data/semantic_pairs and planted 2-3 word edits (benchmarks/semantic_dedup.py)",
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


def threshold_for(key: str, stage: str, configured: float | None = None) -> float:
    """The configured threshold of `stage` ("dedup" or "decontaminate"), else the calibrated one of `key`."""
    if configured is not None:
        return configured
    calibrated = CALIBRATED.get(key)
    if calibrated is None:
        variable = "AMD_EMBEDDING_DEDUP_THRESHOLD" if stage == "dedup" else "AMD_EMBEDDING_DECONTAMINATION_THRESHOLD"
        raise UncalibratedModelError(
            f"no calibrated {stage} threshold for embedding model {key!r}: set {variable} (calibrate it on "
            "data/semantic_pairs with `benchmarks/semantic_dedup.py calibrate`)"
        )
    return float(getattr(calibrated, stage))
