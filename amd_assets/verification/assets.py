"""Verification stage family: candidate responses → `response_verdicts` → `distilled_samples`."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.sinks import RejectionSink
from amd_assets.stages import per_source_asset, write_source_partition
from amd_assets.verification.distill import DistillStage
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.math.leases import LazyMathPool, lease_math_pool
from amd_assets.verification.stage import VerifyStage
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS, VERIFIER_VERSIONS
from resources.lakehouse import LakehouseResource
from resources.sandbox import SandboxResource

VERIFICATION_GROUP = "verification"


@asset(**per_source_asset(RESPONSE_VERDICTS, VERIFICATION_GROUP, deps=[CURATED_PROBLEMS.name, "teacher_responses"]))
def response_verdicts(
    context: AssetExecutionContext, lakehouse: LakehouseResource, sandbox: SandboxResource, judge: JudgeResource
) -> MaterializeResult:
    """Append-only: only verdicts missing for the current verifier versions are computed; the versions this run
    judged with are recorded in `verifier_versions`."""
    source = context.partition_key
    # The math-verify workers start only if this source has math to verify, and stay for the process's next runs.
    with lease_math_pool() as math_pool:
        before = (math_pool.starts, math_pool.streams)
        stage = VerifyStage(lakehouse, source, sandbox, judge, math_pool)
        version = lakehouse.append(RESPONSE_VERDICTS.name, stage.batches(), RESPONSE_VERDICTS.schema, ["source"])
    # After the verdicts: the audit of verifier upgrades orders versions by the runs that used them.
    used = stage.versions_used(context.run.run_id)
    lakehouse.append(VERIFIER_VERSIONS.name, [used], VERIFIER_VERSIONS.schema, VERIFIER_VERSIONS.partition_by)
    return MaterializeResult(
        metadata={
            "new_verdicts": stage.rows,
            "already_stored": stage.skipped,
            "verdicts": MetadataValue.json(dict(sorted(stage.verdicts.items()))),
            "judge": judge.model if judge.configured else "not configured (judge-only responses stay unverified)",
            "math_pool": math_pool_use(math_pool, *before),
            "delta_version": version,
        }
    )


def math_pool_use(pool: LazyMathPool, starts_before: int, streams_before: int) -> str:
    """What this run did with its math pool, for the run's metadata."""
    if pool.starts > starts_before:
        return f"started in {pool.startup_s:.1f} s"
    if pool.streams > streams_before:
        return "reused (started by an earlier run of this process)"
    return "not needed (no math to verify)"


@asset(**per_source_asset(DISTILLED_SAMPLES, VERIFICATION_GROUP, deps=[response_verdicts]))
def distilled_samples(
    context: AssetExecutionContext, lakehouse: LakehouseResource, judge: JudgeResource
) -> MaterializeResult:
    source = context.partition_key
    rejections = RejectionSink(source, "distill")
    stage = DistillStage(lakehouse, source, judge, rejections)
    version = write_source_partition(lakehouse, DISTILLED_SAMPLES, source, stage.batches(), rejections)
    return MaterializeResult(
        metadata={
            "dagster/row_count": stage.accepted,
            "problems": stage.problems,
            "without_accepted_response": rejections.total,
            "why": MetadataValue.json(dict(rejections.counts)),
            "delta_version": version,
        }
    )
