"""Generation stage: curated problems without a usable trace → `teacher_responses` (per source, append-only)."""

import asyncio
from typing import Any

import pyarrow as pa
from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from deltalake import WriterProperties
from pydantic import Field

from amd_assets.generation.driver import CheckpointedGeneration, CheckpointPolicy, GenerationStats
from amd_assets.generation.prompts import DEFAULT_TEMPLATES, PAPER_SYSTEM_PROMPT, PromptBuilder
from amd_assets.generation.selection import CURATED_TABLE, SamplingPlan, SelectionStats, plan_round
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.metadata import partition_preview, row_counts
from amd_assets.stages import per_source_asset
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource

GENERATION_GROUP = "generation"
NO_TEACHER = "no teacher configured"
PREVIEW_COLUMNS = [
    "response_id",
    "sample_index",
    "status",
    "finish_reason",
    "completion_tokens",
    "answer",
    "error_class",
]


class TeacherResponsesConfig(Config):
    samples_per_round: int = Field(
        default=SamplingPlan.samples_per_round, ge=1, description="New samples per problem per round."
    )
    max_attempts: int = Field(
        default=SamplingPlan.max_attempts, ge=1, description="Samples a problem may use in total (rejection sampling)."
    )
    max_request_failures: int = Field(
        default=SamplingPlan.max_request_failures,
        ge=1,
        description="Runs in which one response's request may fail transiently before it is given up.",
    )
    checkpoint_every: int = Field(
        default=512,
        ge=1,
        description="Most responses paid for but not committed (in flight or buffered): a crash loses at most "
        "this many. Also caps requests in flight, so keep it ≥ 2x the teacher's max_concurrency.",
    )
    checkpoint_seconds: float = Field(default=300.0, gt=0, description="Commit a partial buffer at least this often.")
    max_consecutive_failures: int = Field(
        default=100, ge=0, description="Stop the run after this many transient failures in a row (0: never)."
    )
    limit: int | None = Field(default=None, ge=1, description="Request at most this many responses in this run.")
    system_prompt: str = Field(default=PAPER_SYSTEM_PROMPT, description="Empty: no system prompt.")
    system_in_user: bool = Field(default=False, description="Put the system prompt at the top of the user turn.")
    templates: dict[str, str] = Field(
        default_factory=dict,
        description=f"Per-category user templates overriding the defaults ({', '.join(DEFAULT_TEMPLATES)}); "
        "placeholders {prompt} and {code_language}.",
    )


def compact_partition(lakehouse: LakehouseResource, source: str) -> int:
    """Fold the run's checkpoint files into few large ones; returns the files removed.

    Each checkpoint commits one small file, and every later reader (the contract check, verification) pays per
    file. A compaction commit rewrites files without changing rows, so time travel and concurrent readers are safe.
    """
    metrics = lakehouse.table(TEACHER_RESPONSES.name).optimize.compact(
        partition_filters=[("source", "=", source)],
        writer_properties=WriterProperties(
            max_row_group_size=lakehouse.row_group_rows,
            compression=lakehouse.compression,
        ),
    )
    return int(metrics.get("numFilesRemoved", 0))


def _metadata(
    lakehouse: LakehouseResource, source: str, teacher: TeacherResource, selection: SelectionStats, run: GenerationStats
) -> dict[str, Any]:
    seconds = max(run.seconds, 1e-9)
    return {
        **row_counts(lakehouse, TEACHER_RESPONSES.name, source),
        "teacher": MetadataValue.json(teacher.describe()),
        "problems": selection.problems,
        "problems_requested": selection.problems_requested,
        "skipped_existing_trace": selection.skipped_existing_trace,
        "skipped_accepted": selection.skipped_accepted,
        "already_stored": selection.already_stored,
        "responses_written": run.responses,
        "ok": run.ok,
        "truncated": run.truncated,
        "failed": run.failed,
        "failures_by_class": MetadataValue.json(dict(sorted(run.failures_by_class.items()))),
        "requests_sent": run.requests_sent,
        "retries": run.requests_sent - run.responses,
        "prompt_tokens": run.prompt_tokens,
        "completion_tokens": run.completion_tokens,
        "responses_per_second": round(run.responses / seconds, 2),
        "completion_tokens_per_second": round(run.completion_tokens / seconds, 1),
        "seconds": round(run.seconds, 2),
        "checkpoints": run.checkpoints,
        "delta_version": lakehouse.version(TEACHER_RESPONSES.name) if run.checkpoints else -1,
        "dagster/uri": MetadataValue.path(lakehouse.table_uri(TEACHER_RESPONSES.name)),
        "preview": MetadataValue.md(partition_preview(lakehouse, TEACHER_RESPONSES, source, PREVIEW_COLUMNS)),
    }


@asset(**per_source_asset(TEACHER_RESPONSES, GENERATION_GROUP, deps=[CURATED_TABLE]))
def teacher_responses(
    context: AssetExecutionContext,
    config: TeacherResponsesConfig,
    lakehouse: LakehouseResource,
    teacher: TeacherResource,
    judge: JudgeResource,
) -> MaterializeResult:
    source = context.partition_key
    if not teacher.configured:
        context.log.info(f"{source}: {NO_TEACHER} (teacher backend 'none'); nothing requested, nothing written")
        counts = row_counts(lakehouse, TEACHER_RESPONSES.name, source)
        return MaterializeResult(metadata={"teacher": NO_TEACHER, "responses_written": 0, **counts})
    plan = SamplingPlan(config.samples_per_round, config.max_attempts, config.max_request_failures)
    prompts = PromptBuilder.with_overrides(config.system_prompt, config.templates, config.system_in_user)
    policy = CheckpointPolicy(
        config.checkpoint_every, config.checkpoint_seconds, config.max_consecutive_failures, config.limit
    )

    def append(batch: pa.RecordBatch) -> int:
        return lakehouse.append(
            TEACHER_RESPONSES.name, [batch], TEACHER_RESPONSES.schema, TEACHER_RESPONSES.partition_by
        )

    async def generate() -> tuple[SelectionStats, GenerationStats]:
        async with teacher.open() as client:
            selection, pending = plan_round(
                lakehouse, source, client.model, client.sampling, prompts, plan, Acceptance(judge)
            )
            run = CheckpointedGeneration(client, append, policy, prompts.version, context.run.run_id, context.log.info)
            return selection, await run.run(pending)

    selection, stats = asyncio.run(generate())
    compacted = compact_partition(lakehouse, source) if stats.checkpoints > 1 else 0
    context.log.info(
        f"{source}: {selection.problems} problems, {selection.requested} responses requested "
        f"({selection.already_stored} already stored): {stats.ok} ok, {stats.truncated} truncated, "
        f"{stats.failed} failed, {stats.requests_sent} HTTP attempts, {stats.checkpoints} checkpoints"
    )
    metadata = _metadata(lakehouse, source, teacher, selection, stats)
    return MaterializeResult(metadata={**metadata, "files_compacted": compacted})
