"""Dedup settings shared by `problem_signatures` and `dedup_decisions` (the cache key of a signature)."""

from dagster import ConfigurableResource
from pydantic import Field

from amd_assets.curation.minhash import DedupBackend, MinHasher

# Bump when the text handed to the MinHasher changes (see text.symbols_as_words): cached signatures are redone.
TEXT_VIEW_VERSION = 1


class DedupSettings(ConfigurableResource):
    threshold: float = Field(default=0.8, gt=0, le=1, description="Estimated Jaccard at which two problems merge.")
    num_perm: int = Field(default=128, ge=16, description="MinHash permutations.")
    shingle_size: int = Field(default=3, ge=1, description="Words per shingle.")
    seed: int = 0
    backend: DedupBackend = Field(default="rensa", description="'rensa' or 'datasketch' (see benchmarks/dedup.py).")

    def hasher(self) -> MinHasher:
        return MinHasher(self.num_perm, self.shingle_size, self.seed, self.backend)

    def cache_key(self) -> str:
        """Signatures computed under another key (settings, library or hashing version) are recomputed."""
        return f"{self.hasher().cache_key}/view{TEXT_VIEW_VERSION}"
