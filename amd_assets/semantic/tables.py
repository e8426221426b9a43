"""The semantic dedup tables' contracts, importable by file path: dbt's Delta source plugin loads the module named
in a source's `meta.contract` from its file (amd_assets/audits/delta_source.py), and a module that defines a
dataclass cannot be loaded that way. The contracts themselves live in amd_assets/contracts/tables.py."""

from amd_assets.contracts.tables import PROBLEM_EMBEDDINGS, SEMANTIC_DEDUP_DECISIONS

__all__ = ["PROBLEM_EMBEDDINGS", "SEMANTIC_DEDUP_DECISIONS"]
