"""Dedup settings shared by `problem_signatures` and `dedup_decisions` (the cache key of a signature)."""

from dagster import ConfigurableResource
from pydantic import Field


class DedupSettings(ConfigurableResource):
    threshold: float = Field(default=0.8, gt=0, le=1, description="Estimated Jaccard at which two problems merge.")
    num_perm: int = Field(default=128, ge=16, description="MinHash permutations.")
    shingle_size: int = Field(default=3, ge=1, description="Words per shingle.")
    seed: int = 0
    backend: str = Field(default="rensa", description="'rensa' or 'datasketch' (see benchmarks/dedup.py).")

    def cache_key(self) -> str:
        """Signatures computed under another key are recomputed, never mixed."""
        return f"{self.backend}:perm{self.num_perm}:w{self.shingle_size}:seed{self.seed}"
