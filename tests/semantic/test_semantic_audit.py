"""The dbt audits over semantic dedup: `semantic_duplicate_clusters` and the semantic removals in `stage_funnel`."""

from __future__ import annotations

import duckdb

from amd_assets.cli.audit import dbt_build
from amd_assets.ingest.raw import problem_id


def test_clusters_and_funnel_show_the_semantic_duplicates(pipeline, tmp_path):
    database = tmp_path / "audits.duckdb"
    select = "semantic_duplicate_clusters stage_funnel"
    assert dbt_build(pipeline.lakehouse.root_path(), database, tmp_path / "target", quiet=True, select=select) == 0
    with duckdb.connect(str(database), read_only=True) as connection:
        clusters = connection.execute(
            "SELECT kept_problem_id, kept_source, cluster_size, sources_merged, crosses_sources, min_similarity "
            "FROM semantic_duplicate_clusters"
        ).fetchall()
        funnel = connection.execute(
            "SELECT stage, reason, source, rejected, rows_in, rows_out FROM stage_funnel "
            "WHERE stage = 'dedup' ORDER BY reason"
        ).fetchall()
    ((kept, kept_source, size, sources, crosses, similarity),) = clusters
    assert (kept, kept_source, size, sources, crosses) == (problem_id("math", "m2"), "math", 2, "math,planted", True)
    assert similarity >= 0.80, "confirmed by few differing content tokens, above that rule's floor"
    # planted: 7 decontaminated rows in, 4 survive both dedup stages (exact, MinHash and semantic drop one each)
    assert funnel == [
        ("dedup", "exact_duplicate", "planted", 1, 7, 4),
        ("dedup", "near_duplicate", "planted", 1, 7, 4),
        ("dedup", "semantic_duplicate", "planted", 1, 7, 4),
    ]
