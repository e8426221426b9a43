"""Release gates: blocking checks on the `release_rows` of the version just written. A failing gate marks the
release as not fit to publish (and stops anything downstream of it)."""

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow.dataset as ds
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, MetadataValue, asset_check

from amd_assets.contracts.checks import View, contract_check
from amd_assets.contracts.tables import DEDUP_DECISIONS, REJECTIONS
from amd_assets.release.assets import release
from amd_assets.release.schemas import flatten
from amd_assets.release.tables import AM_RECORD, RELEASE_ROWS
from amd_assets.verification.judge import JudgeResource
from resources.duckdb_views import register_lakehouse_views
from resources.lakehouse import LakehouseResource

EXAMPLES = 10


def released_version(context: AssetCheckExecutionContext) -> str:
    """The version the gates inspect: the `release_rows` partition the latest release run wrote."""
    event = context.instance.get_latest_materialization_event(AssetKey(RELEASE_ROWS.name))
    if event is None or event.dagster_event is None or event.dagster_event.partition is None:
        raise ValueError("no release materialized yet")
    return event.dagster_event.partition


def _sql_gate(lakehouse: LakehouseResource, version: str, query: str) -> AssetCheckResult:
    """Each row `query` returns is a violation; it sees `rows` (this version's release rows) and the tables."""
    connection = duckdb.connect(":memory:")
    verdicts = {REJECTIONS.name: REJECTIONS.schema, DEDUP_DECISIONS.name: DEDUP_DECISIONS.schema}
    register_lakehouse_views(connection, lakehouse, list(verdicts), empty_when_missing=verdicts)
    rows = lakehouse.dataset(RELEASE_ROWS.name).filter(ds.field("release_version") == version)
    connection.register("rows", rows.to_table(columns=["problem_id", "response_id", "source"]))
    violations = connection.sql(query)
    found = violations.fetchall()
    return AssetCheckResult(
        passed=not found,
        metadata={
            "release_version": version,
            "violations": len(found),
            "examples": MetadataValue.json([dict(zip(violations.columns, r, strict=True)) for r in found[:EXAMPLES]]),
        },
    )


def _gate(name: str, description: str) -> Callable[[Callable[..., AssetCheckResult]], Any]:
    return asset_check(asset=release, name=name, blocking=True, description=description)


@_gate("unique_problem_id", "One sample per problem_id in the release.")
def unique_problem_id(context: AssetCheckExecutionContext, lakehouse: LakehouseResource) -> AssetCheckResult:
    query = "SELECT problem_id, count(*) AS copies FROM rows GROUP BY 1 HAVING count(*) > 1 ORDER BY 1"
    return _sql_gate(lakehouse, released_version(context), query)


@_gate(
    "not_contaminated_or_duplicate",
    "No released problem was flagged by decontamination (rejections, stage decontaminate) or dropped as a "
    "duplicate (dedup_decisions.is_kept false).",
)
def not_contaminated_or_duplicate(
    context: AssetCheckExecutionContext, lakehouse: LakehouseResource
) -> AssetCheckResult:
    query = """
        SELECT r.problem_id, 'decontaminate' AS why FROM rows r
        WHERE r.problem_id IN (SELECT problem_id FROM rejections WHERE stage = 'decontaminate')
        UNION ALL
        SELECT r.problem_id, 'dropped_duplicate' FROM rows r
        WHERE r.problem_id IN (SELECT problem_id FROM dedup_decisions WHERE NOT is_kept)
        ORDER BY 1
    """
    return _sql_gate(lakehouse, released_version(context), query)


@_gate("accepted_verdict", "Every released response is accepted under the current verifier versions.")
def accepted_verdict(
    context: AssetCheckExecutionContext, lakehouse: LakehouseResource, judge: JudgeResource
) -> AssetCheckResult:
    from amd_assets.verification.acceptance import accepted_response_ids

    version = released_version(context)
    rows = lakehouse.read(
        RELEASE_ROWS.name, columns=["source", "response_id"], filter=ds.field("release_version") == version
    )
    unaccepted: list[dict[str, str]] = []
    for source in sorted(set(rows.column("source").to_pylist())):
        accepted = accepted_response_ids(lakehouse, source, judge)
        in_source = rows.filter(ds.field("source") == source).column("response_id").to_pylist()
        unaccepted += [{"source": source, "response_id": r} for r in in_source if r not in accepted]
    return AssetCheckResult(
        passed=not unaccepted,
        metadata={
            "release_version": version,
            "rows_checked": rows.num_rows,
            "violations": len(unaccepted),
            "examples": MetadataValue.json(unaccepted[:EXAMPLES]),
        },
    )


def released_rows(context: AssetCheckExecutionContext) -> ds.Expression:
    return ds.field("release_version") == released_version(context)


am_format = contract_check(
    release,
    RELEASE_ROWS,
    scope=released_rows,
    unique=None,
    view=View(AM_RECORD, flatten),
    name="am_format",
    require_rows=True,
)


release_checks = [unique_problem_id, not_contaminated_or_duplicate, accepted_verdict, am_format]
