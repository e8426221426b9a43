"""The upstream tables a release reads, pinned at one Delta version each and exposed to DuckDB."""

import hashlib
from collections.abc import Collection
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.acceptance import Acceptance
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource

UPSTREAM = ("distilled_samples", "curated_problems", "response_verdicts", "teacher_responses")
RELEASE_SQL = Path(__file__).with_name("release_rows.sql")
# The teacher's model and token count per response; a failed request may share the id of a later success.
TEACHER_MODELS = """
CREATE OR REPLACE TEMP VIEW teacher_models AS
SELECT DISTINCT ON (response_id) response_id, model, completion_tokens
FROM teacher_responses WHERE status IN ('ok', 'truncated')
ORDER BY response_id, created_at DESC
"""


def pin_versions(lakehouse: LakehouseResource) -> dict[str, int]:
    """The current Delta version of every upstream table that exists: the release reads exactly these."""
    return {table: lakehouse.version(table) for table in UPSTREAM if lakehouse.exists(table)}


def released_sources(lakehouse: LakehouseResource, pinned: dict[str, int], missing: Collection[str] = ()) -> list[str]:
    """The sources with distilled samples at the pinned version, in release order, minus the `missing` ones."""
    table = lakehouse.read("distilled_samples", columns=["source"], version=pinned.get("distilled_samples"))
    return sorted(set(table.column("source").to_pylist()) - set(missing))


def release_connection(
    lakehouse: LakehouseResource, pinned: dict[str, int], judge: JudgeResource, source: str | None = None
) -> duckdb.DuckDBPyConnection:
    """DuckDB with the pinned tables, the current verifier versions and the views of release_rows.sql; with a
    `source`, every table is cut to that source's partition first, so the views' joins and sort hold one source."""
    missing = [table for table in UPSTREAM[:3] if table not in pinned]
    if missing:
        raise ValueError(f"nothing to release: table(s) {missing} do not exist yet (run verification first)")
    connection = duckdb.connect(":memory:")
    for table, version in pinned.items():
        dataset = lakehouse.dataset(table, version)
        connection.register(table, dataset if source is None else dataset.filter(ds.field("source") == source))
    if "teacher_responses" not in pinned:  # no teacher configured yet: every sample is an existing trace
        connection.register("teacher_responses", TEACHER_RESPONSES.schema.empty_table())
    connection.execute(TEACHER_MODELS)
    connection.register("current_versions", pa.Table.from_pylist(Acceptance(judge).current_verdicts()))
    connection.execute(RELEASE_SQL.read_text())
    return connection


def content_digest(
    lakehouse: LakehouseResource, pinned: dict[str, int], judge: JudgeResource, missing: Collection[str] = ()
) -> str:
    """sha256 over the lines "source\tproblem_id\tresponse_id\tverifier=version,...\n" in release order: equal
    content, equal digest. DuckDB writes the lines; their bytes are hashed batch by batch, never as Python rows."""
    from amd_assets.release.files import string_bytes

    digest = hashlib.sha256()
    query = """
        SELECT concat_ws(chr(9), source, problem_id, response_id,
            array_to_string(list_transform(verdicts, lambda v: v.verifier || '=' || v.verifier_version), ','))
            || chr(10) AS line
        FROM release_records ORDER BY problem_id, response_id
    """
    for source in released_sources(lakehouse, pinned, missing):
        with release_connection(lakehouse, pinned, judge, source) as connection:
            for batch in connection.sql(query).to_arrow_reader(65_536):
                digest.update(string_bytes(batch.column("line")))
    return digest.hexdigest()
