"""`amd release-diff A B`: which rows release B adds and removes relative to release A, and why.

Reasons come from the tables as they are now (rejections, dedup_decisions): a row A had and B lacks was
decontaminated, deduplicated, filtered, downsampled or lost its accepted response, or its source left;
"unknown" when no table says. A problem in both with another response or verifier versions is "changed".
"""

import argparse
import sys
from typing import Any, TextIO

import duckdb

from amd_assets.contracts.tables import DEDUP_DECISIONS, REJECTIONS
from resources.delta_tables import DeltaTables
from resources.duckdb_views import register_lakehouse_views

DIFF = """
WITH
a AS (SELECT problem_id, source, response_id, list_sort(list_transform(verdicts,
        lambda v: v.verifier || '@' || v.verifier_version)) AS versions FROM release_rows WHERE release_version = $a),
b AS (SELECT problem_id, source, response_id, list_sort(list_transform(verdicts,
        lambda v: v.verifier || '@' || v.verifier_version)) AS versions FROM release_rows WHERE release_version = $b),
stopped AS (
    SELECT problem_id, min(CASE stage WHEN 'decontaminate' THEN 1 WHEN 'filter' THEN 3 WHEN 'curate' THEN 4
        WHEN 'distill' THEN 5 ELSE 6 END) AS rank
    FROM rejections GROUP BY 1
),
removed AS (
    SELECT 'removed' AS change, a.problem_id, a.source, a.response_id AS response_a, NULL AS response_b,
        CASE
            WHEN a.source NOT IN (SELECT source FROM b) THEN 'source removed'
            WHEN s.rank = 1 THEN 'decontamination (rejected at stage decontaminate)'
            WHEN d.problem_id IS NOT NULL THEN 'dedup (now a dropped duplicate of ' || d.kept_problem_id || ')'
            WHEN s.rank = 3 THEN 'filtered (rejected at stage filter)'
            WHEN s.rank = 4 THEN 'curation (rejected at stage curate)'
            WHEN s.rank = 5 THEN 'no accepted response'
            ELSE 'unknown'
        END AS reason
    FROM a
    LEFT JOIN stopped AS s ON s.problem_id = a.problem_id
    LEFT JOIN (SELECT * FROM dedup_decisions WHERE NOT is_kept) AS d ON d.problem_id = a.problem_id
    WHERE a.problem_id NOT IN (SELECT problem_id FROM b)
),
added AS (
    SELECT 'added', b.problem_id, b.source, NULL, b.response_id,
        CASE WHEN b.source NOT IN (SELECT source FROM a) THEN 'new source' ELSE 'unknown' END
    FROM b WHERE b.problem_id NOT IN (SELECT problem_id FROM a)
),
changed AS (
    SELECT 'changed', b.problem_id, b.source, a.response_id, b.response_id,
        CASE WHEN a.response_id <> b.response_id THEN 'new verdict (different accepted response)'
            ELSE 'new verdict (verifier versions changed)' END
    FROM a JOIN b USING (problem_id)
    WHERE a.response_id <> b.response_id OR a.versions <> b.versions
)
SELECT * FROM removed UNION ALL SELECT * FROM added UNION ALL SELECT * FROM changed
"""


def release_diff(lakehouse: DeltaTables, old: str, new: str) -> list[dict[str, str]]:
    """One dict per added, removed or changed problem: change, problem_id, source, response_a/b, reason."""
    connection = duckdb.connect(":memory:")
    decisions = {REJECTIONS.name: REJECTIONS.schema, DEDUP_DECISIONS.name: DEDUP_DECISIONS.schema}
    present = register_lakehouse_views(
        connection, lakehouse, ["release_rows", *decisions], empty_when_missing=decisions
    )
    if "release_rows" not in present:
        raise ValueError("no release_rows table: materialize `release` first")
    known = {row[0] for row in connection.execute("SELECT DISTINCT release_version FROM release_rows").fetchall()}
    missing = [version for version in (old, new) if version not in known]
    if missing:
        raise ValueError(f"unknown release version(s) {missing}; known: {sorted(known)}")
    result = connection.execute(DIFF + " ORDER BY 1, 6, 3, 2", {"a": old, "b": new})
    columns = [column[0] for column in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def print_release_diff(lakehouse: DeltaTables, old: str, new: str, out: TextIO) -> None:
    rows = release_diff(lakehouse, old, new)
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        counts[(row["change"], row["reason"])] = counts.get((row["change"], row["reason"]), 0) + 1
    out.write(f"release-diff {old} → {new}: {len(rows)} problem(s) differ\n")
    for (change, reason), count in sorted(counts.items()):
        out.write(f"  {change:<8} {count:>7}  {reason}\n")
    for row in rows:
        responses = f"{row['response_a'] or '-'} → {row['response_b'] or '-'}"
        out.write(f"{row['change']}\t{row['problem_id']}\t{row['source']}\t{responses}\t{row['reason']}\n")


def _command(args: argparse.Namespace) -> int:
    from amd_assets.cli.options import lakehouse

    try:
        print_release_diff(lakehouse(args), args.old, args.new, sys.stdout)
    except ValueError as error:
        print(f"release-diff: {error}", file=sys.stderr)
        return 1
    return 0


def add_command(commands: Any) -> None:
    """`amd release-diff OLD NEW` on the `amd` parser's subcommands."""
    parser = commands.add_parser("release-diff", help="problems added, removed or changed between two releases")
    parser.add_argument("old", help="release version A (e.g. r-0123456789ab)")
    parser.add_argument("new", help="release version B")
    parser.set_defaults(handler=_command)
