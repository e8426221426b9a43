"""Ingest: read each registered source, keep its rows with lineage, map them onto the canonical problem."""

from amd_assets.ingest.assets import normalized_problems, raw_problems
from amd_assets.ingest.checks import ingest_checks

ingest_assets = [raw_problems, normalized_problems]

__all__ = ["ingest_assets", "ingest_checks", "normalized_problems", "raw_problems"]
