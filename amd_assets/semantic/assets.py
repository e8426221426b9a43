"""Semantic dedup assets: `problem_embeddings` (per source, cached vectors) and `semantic_dedup_decisions` (global,
after exact/MinHash dedup). Registered in the definitions through `semantic_assets`; the `embedder` resource
(`resources.embeddings.EmbeddingResource`) chooses the model."""

from dataclasses import asdict

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from amd_assets.contracts.tables import PROBLEM_EMBEDDINGS, REJECTIONS, SEMANTIC_DEDUP_DECISIONS
from amd_assets.curation.assets import CURATION_GROUP, decontaminated_problems, dedup_decisions
from amd_assets.metadata import column_schema
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.semantic.dedup import REASON, STAGE, Model, semantic_deduplicate
from amd_assets.semantic.embeddings import EmbeddingStage
from amd_assets.semantic.neighbours import IndexSettings
from amd_assets.stages import per_source_asset
from resources.embeddings import EmbeddingResource
from resources.lakehouse import LakehouseResource


class SemanticDedupConfig(Config):
    """Approximate nearest-neighbour search (see benchmarks/semantic_dedup.py for the measurements)."""

    ann_backend: str = Field(
        default="usearch", description="usearch | exact (brute force) | faiss (needs faiss-cpu installed)."
    )
    neighbours: int = Field(default=16, description="Nearest neighbours asked per problem.")
    threads: int = Field(default=2, description="Index build and search threads.")
    clustering: str = Field(
        default="leader", description="leader (drop only what is similar to a kept problem) | union_find."
    )


@asset(**per_source_asset(PROBLEM_EMBEDDINGS, CURATION_GROUP, deps=[decontaminated_problems]))
def problem_embeddings(
    context: AssetExecutionContext, lakehouse: LakehouseResource, embedder: EmbeddingResource
) -> MaterializeResult:
    """One vector per decontaminated problem under the configured model; cached by (text hash, model key)."""
    source = context.partition_key
    stage = EmbeddingStage(lakehouse, source, embedder.open())
    key = stage.embedder.key
    version = lakehouse.replace_partition(
        PROBLEM_EMBEDDINGS.name,
        stage.batches(),
        PROBLEM_EMBEDDINGS.schema,
        {"source": source, "model": key},
        PROBLEM_EMBEDDINGS.partition_by,
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": stage.rows,
            "embeddings_reused": stage.cache.reused,
            "embeddings_computed": stage.cache.computed,
            "model": key,
            "embedder": MetadataValue.json(embedder.describe()),
            "delta_version": version,
        }
    )


@asset(
    name=SEMANTIC_DEDUP_DECISIONS.name,
    group_name=CURATION_GROUP,
    deps=[dedup_decisions, problem_embeddings],
    kinds={"python", "deltalake"},
    description=SEMANTIC_DEDUP_DECISIONS.description,
    metadata={"dagster/column_schema": column_schema(SEMANTIC_DEDUP_DECISIONS)},
)
def semantic_dedup_decisions(
    config: SemanticDedupConfig,
    lakehouse: LakehouseResource,
    source_registry: SourceRegistryResource,
    embedder: EmbeddingResource,
) -> MaterializeResult:
    """Global: every exact/MinHash survivor of every source against every other, by embedding cosine."""
    opened = embedder.open()
    cosines = embedder.dedup_cosines(opened.key)
    priorities = {name: spec.priority for name, spec in source_registry.load().sources.items()}
    index = IndexSettings(backend=config.ann_backend, k=config.neighbours, threads=config.threads)
    model = Model(opened.key, opened.dim, cosines)
    result = semantic_deduplicate(lakehouse, model, priorities, index, config.clustering)
    version = lakehouse.replace_table(
        SEMANTIC_DEDUP_DECISIONS.name,
        result.decisions.to_batches(),
        SEMANTIC_DEDUP_DECISIONS.schema,
        SEMANTIC_DEDUP_DECISIONS.partition_by,
    )
    lakehouse.replace_partition(
        REJECTIONS.name,
        result.rejections.to_batches(),
        REJECTIONS.schema,
        {"stage": STAGE, "reason": REASON},
        REJECTIONS.partition_by,
    )
    sizes = result.decisions.column("cluster_size").to_numpy()
    return MaterializeResult(
        metadata={
            "dagster/row_count": result.problems,
            "clusters": result.clusters,
            "rejected": result.rejections.num_rows,
            "candidate_pairs": result.candidates,
            "duplicate_pairs": result.pairs,
            "duplicate_pairs_by_rule": MetadataValue.json(result.pairs_by_rule),
            "largest_cluster": int(sizes.max()) if len(sizes) else 0,
            "model": opened.key,
            "threshold": cosines.lowest,
            "dedup_rule": MetadataValue.json(asdict(cosines)),
            "ann_backend": index.backend,
            "clustering": config.clustering,
            "dedup_decisions_version": result.dedup_version,
            "delta_version": version,
        }
    )


semantic_assets = [problem_embeddings, semantic_dedup_decisions]
