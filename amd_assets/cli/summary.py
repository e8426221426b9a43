"""Row counts per source and stage, read through DuckDB: what `make demo` prints at the end."""

from __future__ import annotations

import duckdb

from amd_assets.contracts.tables import (
    CURATED_PROBLEMS,
    DECONTAMINATED_PROBLEMS,
    FILTERED_PROBLEMS,
    NORMALIZED_PROBLEMS,
    QUARANTINE,
    QUARANTINE_STAGES,
    RAW_PROBLEMS,
)
from resources.delta_tables import DeltaTables
from resources.duckdb_views import register_lakehouse_views

STAGE_TABLES = [
    RAW_PROBLEMS.name,
    NORMALIZED_PROBLEMS.name,
    FILTERED_PROBLEMS.name,
    DECONTAMINATED_PROBLEMS.name,
    CURATED_PROBLEMS.name,
    "distilled_samples",
]
VERDICTS = """
SELECT verifier, verdict, reason, count(*) AS responses
FROM (SELECT verifier, verdict, left(split_part(reason, ':', 1), 40) AS reason FROM response_verdicts)
GROUP BY verifier, verdict, reason
ORDER BY verifier, verdict <> 'pass', responses DESC, reason
"""


def verdict_counts(lakehouse: DeltaTables) -> str | None:
    """Verdicts per verifier, verdict and reason (its first clause) over every stored verdict."""
    connection = duckdb.connect(":memory:")
    if not register_lakehouse_views(connection, lakehouse, ["response_verdicts"]):
        return None
    return str(connection.sql(VERDICTS).limit(60))


def stage_counts(lakehouse: DeltaTables) -> str | None:
    """A table of rows per source: one column per stage table, then the quarantined rows per stage."""
    connection = duckdb.connect(":memory:")
    present = register_lakehouse_views(connection, lakehouse, [*STAGE_TABLES, QUARANTINE.name])
    stages = [name for name in STAGE_TABLES if name in present]
    if not stages:
        return None
    counts = " UNION ALL ".join(
        f"SELECT source, '{name}' AS stage, count(*) AS n FROM {name} GROUP BY 1" for name in stages
    )
    if QUARANTINE.name in present:
        counts += f" UNION ALL SELECT source, 'quarantine:' || stage, count(*) FROM {QUARANTINE.name} GROUP BY 1, 2"
    quarantined = [f"quarantine:{stage}" for stage in QUARANTINE_STAGES]
    columns = [*stages, *quarantined]
    # Short headers keep the table within a terminal's width.
    headers = {name: name.split("_")[0].removesuffix("inated") for name in stages}
    headers.update({name: f"quarantined:{name.split(':')[1][:4]}" for name in quarantined})
    pivot = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE stage = '{c}'), 0)::BIGINT AS \"{headers.get(c, c)}\"" for c in columns
    )
    return str(connection.sql(f"SELECT source, {pivot} FROM ({counts}) GROUP BY source ORDER BY source"))
