"""`regeneration`: rejection sampling across runs — for a source whose curated problems still lack an accepted
response and have attempts left, request another round of teacher generation and verification.

A problem has attempts left while it has fewer teacher responses than `max_attempts`. The run key is the
state the decision was made on (distilled and teacher table versions), so one state is requested once.
"""

import pyarrow.compute as pc
import pyarrow.dataset as ds
from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from amd_assets.contracts.tables import CURATED_PROBLEMS
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.partitions import SOURCES
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.verification.tables import DISTILLED_SAMPLES
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource


def problems_needing_samples(lakehouse: LakehouseResource, source: str, max_attempts: int) -> int:
    in_source = ds.field("source") == source
    if not lakehouse.exists(CURATED_PROBLEMS.name):
        return 0
    curated = lakehouse.read(CURATED_PROBLEMS.name, columns=["problem_id"], filter=in_source).column("problem_id")
    if lakehouse.exists(DISTILLED_SAMPLES.name):
        accepted = lakehouse.read(DISTILLED_SAMPLES.name, columns=["problem_id"], filter=in_source)
        curated = curated.filter(pc.invert(pc.is_in(curated, value_set=accepted.column("problem_id"))))
    if len(curated) == 0 or not lakehouse.exists(TEACHER_RESPONSES.name):
        return len(curated)
    spent = lakehouse.read(TEACHER_RESPONSES.name, columns=["problem_id"], filter=in_source)
    counts = spent.group_by("problem_id").aggregate([("problem_id", "count")])
    exhausted = counts.filter(pc.greater_equal(counts.column("problem_id_count"), max_attempts))
    return int(pc.sum(pc.invert(pc.is_in(curated, value_set=exhausted.column("problem_id")))).as_py() or 0)


def _version(lakehouse: LakehouseResource, table: str) -> int:
    return lakehouse.version(table) if lakehouse.exists(table) else -1


def build_regeneration_sensor(job_name: str, max_attempts: int = 4, minimum_interval_seconds: int = 300):
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
    ) -> SensorResult:
        if not teacher.configured:
            return SensorResult(skip_reason=SkipReason("no teacher configured"))
        state = f"{_version(lakehouse, DISTILLED_SAMPLES.name)}.{_version(lakehouse, TEACHER_RESPONSES.name)}"
        requests = []
        registered = set(context.instance.get_dynamic_partitions(SOURCES))
        for source in (name for name in source_registry.load().names if name in registered):
            waiting = problems_needing_samples(lakehouse, source, max_attempts)
            if waiting:
                context.log.info(f"{source}: {waiting} problems without an accepted response and attempts left")
                requests.append(
                    RunRequest(run_key=f"{source}:{state}", partition_key=source, tags={"amd/trigger": "regeneration"})
                )
        if not requests:
            return SensorResult(skip_reason=SkipReason("every problem is accepted or out of attempts"))
        return SensorResult(run_requests=requests)

    return regeneration
