"""Curation stage family: normalized → filtered → decontaminated → signatures → (global) dedup → curated."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amd_assets.contracts.tables import (
    CURATED_PROBLEMS,
    DECONTAMINATED_PROBLEMS,
    DEDUP_DECISIONS,
    FILTERED_PROBLEMS,
    NORMALIZED_PROBLEMS,
    PROBLEM_SIGNATURES,
    REJECTIONS,
)
from amd_assets.curation.curate import CurateStage
from amd_assets.curation.decontaminate import Decontaminator, NgramIndex
from amd_assets.curation.dedup import deduplicate
from amd_assets.curation.embedding_check import SemanticMatcher
from amd_assets.curation.filters import first_violation
from amd_assets.curation.labeler import LabelerResource
from amd_assets.curation.row_filter import RowFilterStage
from amd_assets.curation.settings import DedupSettings
from amd_assets.curation.signatures import SignatureStage
from amd_assets.ingest.assets import normalized_problems
from amd_assets.metadata import column_schema, stage_result
from amd_assets.registry.benchmarks import BenchmarkItem, BenchmarkRegistry
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from amd_assets.sinks import RejectionSink
from amd_assets.stages import per_source_asset, write_source_partition
from resources.embeddings import EmbeddingResource
from resources.lakehouse import LakehouseResource

CURATION_GROUP = "curation"
PREVIEW = ["problem_id", "source_row", "category", "difficulty", "prompt"]


@asset(**per_source_asset(FILTERED_PROBLEMS, CURATION_GROUP, deps=[normalized_problems]))
def filtered_problems(
    context: AssetExecutionContext, lakehouse: LakehouseResource, source_registry: SourceRegistryResource
) -> MaterializeResult:
    source = context.partition_key
    rules = source_registry.load().get(source).filters
    rejections = RejectionSink(source, "filter")
    stage = RowFilterStage(
        lakehouse,
        source,
        NORMALIZED_PROBLEMS,
        rejections,
        decide=lambda rows: [first_violation(row["prompt"], rules) for row in rows],
        reads=["prompt"],
    )
    version = write_source_partition(lakehouse, FILTERED_PROBLEMS, source, stage.batches(), rejections)
    figures = {"rules": MetadataValue.json(rules.model_dump())}
    return stage_result(lakehouse, FILTERED_PROBLEMS, stage, version, rejections, PREVIEW, figures)


@asset(**per_source_asset(DECONTAMINATED_PROBLEMS, CURATION_GROUP, deps=[filtered_problems]))
def decontaminated_problems(
    context: AssetExecutionContext,
    lakehouse: LakehouseResource,
    benchmark_registry: BenchmarkRegistryResource,
    embedder: EmbeddingResource,
) -> MaterializeResult:
    source = context.partition_key
    registry = benchmark_registry.load()
    items = list(registry.items())
    index = NgramIndex(items, registry.ngram_size)
    semantic = semantic_matcher(registry, items, embedder) if registry.embedding.enabled else None
    rule = Decontaminator(index, semantic)
    rejections = RejectionSink(source, "decontaminate")
    stage = RowFilterStage(lakehouse, source, FILTERED_PROBLEMS, rejections, decide=rule.decide, reads=["prompt"])
    version = write_source_partition(lakehouse, DECONTAMINATED_PROBLEMS, source, stage.batches(), rejections)
    enabled = sorted({item.benchmark for item in items})
    figures = {
        "benchmarks": MetadataValue.json({name: sum(i.benchmark == name for i in items) for name in enabled}),
        "ngram_size": registry.ngram_size,
        "boilerplate_ngrams": index.boilerplate,
        "semantic_check": MetadataValue.json(
            {"model": semantic.embedder.key, "threshold": semantic.threshold} if semantic else "off"
        ),
    }
    return stage_result(lakehouse, DECONTAMINATED_PROBLEMS, stage, version, rejections, PREVIEW, figures)


def semantic_matcher(
    registry: BenchmarkRegistry, items: list[BenchmarkItem], embedder: EmbeddingResource
) -> SemanticMatcher:
    """The benchmark items embedded with the model semantic dedup uses (the `embedder` resource)."""
    opened = embedder.open()
    threshold = registry.embedding.threshold or embedder.threshold(opened.key, "decontaminate")
    return SemanticMatcher(opened, items, threshold)


@asset(**per_source_asset(PROBLEM_SIGNATURES, CURATION_GROUP, deps=[decontaminated_problems]))
def problem_signatures(
    context: AssetExecutionContext, lakehouse: LakehouseResource, dedup_settings: DedupSettings
) -> MaterializeResult:
    source = context.partition_key
    stage = SignatureStage(lakehouse, source, dedup_settings)
    version = lakehouse.replace_partition(
        PROBLEM_SIGNATURES.name, stage.batches(), PROBLEM_SIGNATURES.schema, {"source": source}, ["source"]
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": stage.rows,
            "signatures_reused": stage.reused,
            "signatures_computed": stage.rows - stage.reused,
            "settings": dedup_settings.cache_key(),
            "delta_version": version,
        }
    )


@asset(
    name=DEDUP_DECISIONS.name,
    group_name=CURATION_GROUP,
    deps=[problem_signatures],
    kinds={"python", "deltalake"},
    description=DEDUP_DECISIONS.description,
    metadata={"dagster/column_schema": column_schema(DEDUP_DECISIONS)},
)
def dedup_decisions(
    lakehouse: LakehouseResource, source_registry: SourceRegistryResource, dedup_settings: DedupSettings
) -> MaterializeResult:
    """Global: reads every source's signatures, so one source's duplicate of another is found."""
    priorities = {name: spec.priority for name, spec in source_registry.load().sources.items()}
    result = deduplicate(lakehouse, dedup_settings, priorities)
    version = lakehouse.replace_table(
        DEDUP_DECISIONS.name, result.decisions.to_batches(), DEDUP_DECISIONS.schema, DEDUP_DECISIONS.partition_by
    )
    lakehouse.replace_partition(
        REJECTIONS.name, result.rejections.to_batches(), REJECTIONS.schema, {"stage": "dedup"}, REJECTIONS.partition_by
    )
    reasons = result.decisions.group_by("reason").aggregate([("problem_id", "count")]).to_pylist()
    return MaterializeResult(
        metadata={
            "dagster/row_count": result.problems,
            "clusters": result.clusters,
            "rejected": result.rejections.num_rows,
            "rejected_by_reason": MetadataValue.json(
                {row["reason"]: row["problem_id_count"] for row in reasons if row["reason"] is not None}
            ),
            "settings": dedup_settings.cache_key(),
            "threshold": dedup_settings.threshold,
            "delta_version": version,
        }
    )


@asset(**per_source_asset(CURATED_PROBLEMS, CURATION_GROUP, deps=[decontaminated_problems, dedup_decisions]))
def curated_problems(
    context: AssetExecutionContext,
    lakehouse: LakehouseResource,
    source_registry: SourceRegistryResource,
    labeler: LabelerResource,
) -> MaterializeResult:
    source = context.partition_key
    rejections = RejectionSink(source, "curate")
    stage = CurateStage(lakehouse, source_registry.load().get(source), labeler, rejections)
    version = write_source_partition(lakehouse, CURATED_PROBLEMS, source, stage.batches(), rejections)
    figures = {
        "difficulty_origin": MetadataValue.json(dict(stage.difficulty_origins)),
        "label_failures": MetadataValue.json(dict(stage.label_failures)),
        "labeler": labeler.model if labeler.configured else "not configured",
        "semantic_dedup": stage.semantic_dedup,
    }
    return stage_result(lakehouse, CURATED_PROBLEMS, stage, version, rejections, PREVIEW, figures)
