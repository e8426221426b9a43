"""Semantic dedup: problem embeddings (cached per text and model), the ANN index, the pair rule that confirms a
candidate pair by its cosine and the problems' content tokens (`rule`, `content`), leader/union-find clusters over
the exact/MinHash survivors, and the calibration of the rule.

`semantic_assets` (amd_assets.semantic.assets) and `semantic_checks` (amd_assets.semantic.checks) are what the
definitions register; this package imports neither, so `amd_assets.curation` can use its text view freely.
"""
