"""`regeneration`: rejection sampling across runs — for a source whose curated problems still lack an accepted
response and have attempts left, request another round of teacher generation and verification.

Whether a problem needs another sample is decided by the same rule the `teacher_responses` asset applies
(`amd_assets.generation.selection.count_pending`: accepted problems and usable existing traces need none, the
attempts already spent count against `max_attempts`, requests that can never succeed count as spent), so the
sensor requests a run exactly when that run would request something. The run key is the state the decision was
made on (the Delta versions of the curated problems, teacher responses and verdicts), so one state is requested
once, and a tick on an unchanged state is skipped without reading the sources.
"""

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.generation.selection import SamplingPlan, count_pending
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.partitions import SOURCES
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import RESPONSE_VERDICTS
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource

STATE_TABLES = (CURATED_PROBLEMS.name, TEACHER_RESPONSES.name, RESPONSE_VERDICTS.name)


def lakehouse_state(lakehouse: LakehouseResource) -> str:
    return ".".join(str(lakehouse.version(t) if lakehouse.exists(t) else -1) for t in STATE_TABLES)


DEFAULT_PLAN = SamplingPlan()  # what a `regenerate_responses` run with its default config samples


def build_regeneration_sensor(job_name: str, plan: SamplingPlan = DEFAULT_PLAN, minimum_interval_seconds: int = 300):
    @sensor(
        name="regeneration",
        job_name=job_name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=DefaultSensorStatus.STOPPED,
        description="Requests teacher generation + verification for sources with unaccepted problems left.",
    )
    def regeneration(
        context: SensorEvaluationContext,
        lakehouse: LakehouseResource,
        source_registry: SourceRegistryResource,
        teacher: TeacherResource,
        judge: JudgeResource,
    ) -> SensorResult:
        if not teacher.configured:
            return SensorResult(skip_reason=SkipReason("no teacher configured"))
        state = lakehouse_state(lakehouse)
        if state == context.cursor:
            return SensorResult(skip_reason=SkipReason("nothing changed since the last tick"), cursor=state)
        registered = set(context.instance.get_dynamic_partitions(SOURCES))
        acceptance, requests = Acceptance(judge), []
        for source in (name for name in source_registry.load().names if name in registered):
            pending = count_pending(lakehouse, source, teacher.model, teacher.sampling(), plan, acceptance)
            if pending.requested:
                context.log.info(
                    f"{source}: {pending.problems_requested} problems without an accepted response and attempts left"
                )
                requests.append(
                    RunRequest(run_key=f"{source}:{state}", partition_key=source, tags={"amd/trigger": "regeneration"})
                )
        if not requests:
            return SensorResult(skip_reason=SkipReason("every problem is accepted or out of attempts"), cursor=state)
        return SensorResult(run_requests=requests, cursor=state)

    return regeneration
