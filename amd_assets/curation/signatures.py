"""`decontaminated_problems` partition → `problem_signatures`: an exact-text hash and a MinHash per problem.

Signatures are the expensive part of dedup, so a re-run reuses every signature whose text hash and settings
are unchanged, and each source is computed on its own: adding a source never recomputes the others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from amd_assets.contracts.columns import PROBLEM_KEY
from amd_assets.contracts.tables import DECONTAMINATED_PROBLEMS, PROBLEM_SIGNATURES
from amd_assets.curation.minhash import normalize_text
from amd_assets.curation.settings import DedupSettings
from amd_assets.curation.text import symbols_as_words
from resources.lakehouse import LakehouseResource

READS = [
    "problem_id",
    "source",
    "source_file",
    "source_row",
    "prompt",
    "reference_answer",
    "num_test_cases",
    "trace_answer",
]


def text_hash(dedup_view: str) -> str:
    """Equal for prompts that differ only in case or spacing: the exact-duplicate key. It hashes the same
    normalized words (symbols included) the MinHash shingles, so exact and near duplicates agree."""
    return hashlib.blake2b(normalize_text(dedup_view).encode(), digest_size=8).hexdigest()


@dataclass
class SignatureStage:
    lakehouse: LakehouseResource
    source: str
    settings: DedupSettings
    rows: int = 0
    reused: int = 0

    def _cached(self) -> tuple[dict[str, int], pa.Array]:
        """Text hash → position in the previous signatures of this source computed with the same settings."""
        in_source = (ds.field("source") == self.source) & (ds.field("minhash_config") == self.settings.cache_key())
        if not self.lakehouse.exists(PROBLEM_SIGNATURES.name):
            return {}, pa.array([], type=pa.binary())
        previous = self.lakehouse.read(PROBLEM_SIGNATURES.name, columns=["text_hash", "minhash"], filter=in_source)
        positions = {value: index for index, value in enumerate(previous.column("text_hash").to_pylist())}
        return positions, previous.column("minhash").combine_chunks()

    def batches(self) -> Iterator[pa.RecordBatch]:
        hasher = self.settings.hasher()
        positions, cached = self._cached()
        key = self.settings.cache_key()
        scan = self.lakehouse.scan(
            DECONTAMINATED_PROBLEMS.name, columns=READS, filter=ds.field("source") == self.source
        )
        for batch in scan:
            views = [symbols_as_words(prompt) for prompt in batch.column("prompt").to_pylist()]
            hashes = [text_hash(view) for view in views]
            missing = [i for i, value in enumerate(hashes) if value not in positions]
            fresh: dict[int, bytes] = {}
            if missing:
                signatures = hasher.signatures([views[i] for i in missing])
                fresh = {row: np.ascontiguousarray(signatures[slot]).tobytes() for slot, row in enumerate(missing)}
            minhashes = [
                fresh[i] if i in fresh else cached[positions[hashes[i]]].as_py() for i in range(batch.num_rows)
            ]
            self.rows += batch.num_rows
            self.reused += batch.num_rows - len(missing)
            has_reference = pc.or_(
                pc.is_valid(batch.column("reference_answer")), pc.greater(batch.column("num_test_cases"), 0)
            )
            yield pa.RecordBatch.from_pydict(
                {
                    **{name: batch.column(name) for name in PROBLEM_KEY},
                    "text_hash": hashes,
                    "minhash": minhashes,
                    "minhash_config": [key] * batch.num_rows,
                    "has_reference": has_reference,
                    "has_trace": pc.is_valid(batch.column("trace_answer")),
                },
                schema=PROBLEM_SIGNATURES.schema,
            )
