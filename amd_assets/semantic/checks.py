"""Checks on the semantic dedup assets: contracts, one vector per problem and model, every survivor decided."""

import pyarrow.compute as pc
import pyarrow.dataset as ds
from dagster import AssetCheckExecutionContext, AssetCheckResult, asset_check

from amd_assets.contracts.checks import contract_check, whole_table
from amd_assets.contracts.tables import (
    DECONTAMINATED_PROBLEMS,
    DEDUP_DECISIONS,
    PROBLEM_EMBEDDINGS,
    SEMANTIC_DEDUP_DECISIONS,
)
from amd_assets.partitions import source_partitions
from amd_assets.semantic.assets import problem_embeddings, semantic_dedup_decisions
from resources.embeddings import EmbeddingResource
from resources.lakehouse import LakehouseResource


@asset_check(
    asset=problem_embeddings,
    name="one_vector_per_problem",
    blocking=True,
    partitions_def=source_partitions,
    description="Every decontaminated problem of the source has exactly one vector under the configured model.",
)
def embeddings_cover_the_source(
    context: AssetCheckExecutionContext, lakehouse: LakehouseResource, embedder: EmbeddingResource
) -> AssetCheckResult:
    in_source = ds.field("source") == context.partition_key
    key = embedder.known_key() or embedder.open().key
    problems = lakehouse.read(DECONTAMINATED_PROBLEMS.name, columns=["problem_id"], filter=in_source)
    vectors = lakehouse.read(
        PROBLEM_EMBEDDINGS.name, columns=["problem_id"], filter=in_source & (ds.field("model") == key)
    ).column("problem_id")
    missing = pc.sum(pc.invert(pc.is_in(problems.column("problem_id"), value_set=vectors))).as_py() or 0
    repeated = len(vectors) - pc.count_distinct(vectors).as_py()
    return AssetCheckResult(
        passed=missing == 0 and repeated == 0,
        metadata={"model": key, "problems": problems.num_rows, "missing": missing, "repeated": repeated},
    )


@asset_check(
    asset=semantic_dedup_decisions,
    name="covers_every_survivor",
    blocking=True,
    description="One decision per exact/MinHash survivor of the current dedup_decisions version, and every "
    "kept_problem_id is itself kept.",
)
def semantic_covers_every_survivor(lakehouse: LakehouseResource) -> AssetCheckResult:
    version = lakehouse.version(DEDUP_DECISIONS.name)
    survivors = lakehouse.read(DEDUP_DECISIONS.name, columns=["problem_id"], filter=ds.field("is_kept")).column(
        "problem_id"
    )
    decisions = lakehouse.read(
        SEMANTIC_DEDUP_DECISIONS.name, columns=["problem_id", "kept_problem_id", "is_kept", "dedup_version"]
    )
    decided = decisions.column("problem_id")
    kept = decisions.filter(decisions.column("is_kept")).column("problem_id")
    orphans = pc.sum(pc.invert(pc.is_in(decisions.column("kept_problem_id"), value_set=kept))).as_py() or 0
    missing = pc.sum(pc.invert(pc.is_in(survivors, value_set=decided))).as_py() or 0
    stale = pc.sum(pc.not_equal(decisions.column("dedup_version"), version)).as_py() or 0
    repeated = len(decided) - pc.count_distinct(decided).as_py()
    return AssetCheckResult(
        passed=not (missing or repeated or orphans or stale) and len(decided) == len(survivors),
        metadata={
            "survivors": len(survivors),
            "decided": len(decided),
            "missing": missing,
            "repeated": repeated,
            "pointing_at_a_dropped_problem": orphans,
            "decided_on_another_dedup_version": stale,
        },
    )


semantic_checks = [
    contract_check(problem_embeddings, PROBLEM_EMBEDDINGS, unique=None),
    embeddings_cover_the_source,
    contract_check(semantic_dedup_decisions, SEMANTIC_DEDUP_DECISIONS, scope=whole_table),
    semantic_covers_every_survivor,
]
