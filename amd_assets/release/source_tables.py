"""The upstream tables a release reads, pinned at one Delta version each and exposed to DuckDB."""

import hashlib
from pathlib import Path

import duckdb
import pyarrow as pa

from amd_assets.release.versions import current_versions
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import register_lakehouse_views

UPSTREAM = ("distilled_samples", "curated_problems", "response_verdicts", "teacher_responses")
RELEASE_SQL = Path(__file__).with_name("release_rows.sql")
# The teacher's model and token count per response; a failed request may share the id of a later success.
TEACHER_MODELS = """
CREATE OR REPLACE TEMP VIEW teacher_models AS
SELECT DISTINCT ON (response_id) response_id, model, completion_tokens
FROM teacher_responses WHERE status IN ('ok', 'truncated')
ORDER BY response_id, created_at DESC
"""
NO_TEACHER = "CREATE TEMP TABLE teacher_models (response_id VARCHAR, model VARCHAR, completion_tokens BIGINT)"


def pin_versions(lakehouse: LakehouseResource) -> dict[str, int]:
    """The current Delta version of every upstream table that exists: the release reads exactly these."""
    return {table: lakehouse.version(table) for table in UPSTREAM if lakehouse.exists(table)}


def release_connection(
    lakehouse: LakehouseResource, pinned: dict[str, int], judge: JudgeResource
) -> duckdb.DuckDBPyConnection:
    """DuckDB with the pinned tables, the current verifier versions and the `release_candidates` view."""
    missing = [table for table in UPSTREAM[:3] if table not in pinned]
    if missing:
        raise ValueError(f"nothing to release: table(s) {missing} do not exist yet (run verification first)")
    connection = duckdb.connect(":memory:")
    register_lakehouse_views(connection, lakehouse, list(pinned), pinned)
    connection.execute(TEACHER_MODELS if "teacher_responses" in pinned else NO_TEACHER)
    connection.register("current_versions", pa.Table.from_pylist(current_versions(judge)))
    connection.execute(RELEASE_SQL.read_text())
    return connection


def content_digest(connection: duckdb.DuckDBPyConnection) -> str:
    """sha256 over the sorted (problem_id, response_id, verdict versions): equal content, equal digest."""
    digest = hashlib.sha256()
    query = """
        SELECT problem_id, response_id,
            array_to_string(list_transform(verdicts, lambda v: v.verifier || '=' || v.verifier_version), ',')
        FROM release_candidates ORDER BY problem_id, response_id
    """
    for batch in connection.sql(query).to_arrow_reader(65_536):
        for problem, response, versions in zip(*(column.to_pylist() for column in batch.columns), strict=True):
            digest.update(f"{problem}\t{response}\t{versions}\n".encode())
    return digest.hexdigest()
