"""`amd lineage <problem_id>`: the whole chain of one problem, from its input line to every release it is in
(or the rejection or quarantine that stopped it)."""

import argparse
import sys
from typing import Any, TextIO

import duckdb

from resources.delta_tables import DeltaTables
from resources.duckdb_views import register_lakehouse_views


class Chain:
    """Queries about one problem over every lakehouse table; a table that does not exist yields no rows."""

    def __init__(self, lakehouse: DeltaTables, problem_id: str):
        self.connection = duckdb.connect(":memory:")
        self.tables = set(register_lakehouse_views(self.connection, lakehouse))
        self.problem_id = problem_id

    def rows(self, table: str, query: str, **params: Any) -> list[dict[str, Any]]:
        """`query` over `{t}` (the table) with named parameters; `$id` is the problem id."""
        if table not in self.tables:
            return []
        query = query.replace("{t}", table)
        values = {name: value for name, value in {"id": self.problem_id, **params}.items() if f"${name}" in query}
        result = self.connection.execute(query, values)
        columns = [column[0] for column in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]

    def one(self, table: str, columns: str = "*") -> dict[str, Any] | None:
        found = self.rows(table, f"SELECT {columns} FROM {{t}} WHERE problem_id = $id LIMIT 1")
        return found[0] if found else None

    def rejection(self, stage: str) -> str | None:
        found = self.rows(
            "rejections", "SELECT reason, detail FROM {t} WHERE problem_id = $id AND stage = $stage", stage=stage
        )
        return f"rejected at {stage}: {found[0]['reason']} {found[0]['detail']}" if found else None


def _stage(chain: Chain, out: TextIO, label: str, table: str, stage: str) -> bool:
    """One pass-through stage: kept, or the rejection that stopped the problem there."""
    if chain.one(table, "problem_id") is not None:
        out.write(f"{label}: kept\n")
        return True
    out.write(f"{label}: {chain.rejection(stage) or 'not in ' + table}\n")
    return False


def _semantic(chain: Chain, out: TextIO) -> None:
    """Semantic dedup: the problem this one duplicates and their cosine, or the duplicates this one absorbed."""
    decision = chain.one("semantic_dedup_decisions", "is_kept, kept_problem_id, kept_source, similarity, model")
    if decision is None:
        return
    if not decision["is_kept"]:
        out.write(
            f"semantic dedup: dropped, duplicate of {decision['kept_problem_id']} ({decision['kept_source']}), "
            f"cosine {decision['similarity']:.4f} under {decision['model']}\n"
        )
        return
    absorbed = chain.rows(
        "semantic_dedup_decisions",
        "SELECT problem_id, source, similarity FROM {t} WHERE kept_problem_id = $id AND NOT is_kept "
        "ORDER BY similarity DESC",
    )
    duplicates = ", ".join(f"{r['problem_id']} ({r['source']}, cosine {r['similarity']:.4f})" for r in absorbed[:5])
    out.write(f"semantic dedup: kept{'; its duplicates: ' + duplicates if duplicates else ''}\n")


def _responses(chain: Chain, out: TextIO, curated: dict[str, Any]) -> None:
    responses = chain.rows(
        "response_verdicts",
        "SELECT DISTINCT response_id, origin FROM {t} WHERE problem_id = $id ORDER BY origin, response_id",
    )
    models = {
        row["response_id"]: (row["model"], row["status"])
        for row in chain.rows("teacher_responses", "SELECT response_id, model, status FROM {t} WHERE problem_id = $id")
    }
    if not responses:
        out.write("responses: none verified yet\n")
    for response in responses:
        model, status = models.get(response["response_id"], (curated.get("trace_model"), "existing trace"))
        out.write(f"response {response['response_id']} origin={response['origin']} model={model} ({status})\n")
        verdicts = chain.rows(
            "response_verdicts",
            "SELECT verifier, verifier_version, verdict, passed FROM {t} WHERE problem_id = $id "
            "AND response_id = $response ORDER BY verifier, verifier_version",
            response=response["response_id"],
        )
        for v in verdicts:
            out.write(f"    {v['verifier']}@{v['verifier_version']}: {v['verdict']} (passed={v['passed']})\n")


def print_lineage(lakehouse: DeltaTables, problem_id: str, out: TextIO) -> bool:
    """Write the chain of `problem_id` to `out`; False when the problem is unknown."""
    chain = Chain(lakehouse, problem_id)
    raw = chain.one("raw_problems", "source, source_file, source_row, row_key")
    if raw is None:
        out.write(f"{problem_id}: not in raw_problems (malformed input lines have no id: see the quarantine)\n")
        return False
    out.write(f"problem {problem_id} (source {raw['source']}, key {raw['row_key']})\n")
    out.write(f"input: {raw['source_file']} line {raw['source_row']}\n")
    if chain.one("normalized_problems", "problem_id") is None:
        quarantined = chain.rows(
            "quarantine",
            "SELECT error_type, error FROM {t} WHERE source_file = $file AND source_row = $row",
            file=raw["source_file"],
            row=raw["source_row"],
        )
        reason = f"quarantined: {quarantined[0]['error_type']} {quarantined[0]['error']}" if quarantined else "missing"
        out.write(f"normalized: {reason}\n")
        return True
    out.write("normalized: yes\n")
    if not (
        _stage(chain, out, "filter", "filtered_problems", "filter")
        and _stage(chain, out, "decontaminate", "decontaminated_problems", "decontaminate")
    ):
        return True
    dedup = chain.one("dedup_decisions", "is_kept, kept_problem_id, reason, similarity, cluster_size")
    if dedup is not None:
        verdict = "kept" if dedup["is_kept"] else f"dropped ({dedup['reason']}, kept {dedup['kept_problem_id']})"
        out.write(f"dedup: {verdict}, cluster of {dedup['cluster_size']}\n")
    _semantic(chain, out)
    curated = chain.one("curated_problems")
    if curated is None:
        out.write(f"curated: {chain.rejection('curate') or chain.rejection('dedup') or 'no'}\n")
        return True
    labels = ("category", "subcategory", "difficulty", "language", "category_origin", "difficulty_origin")
    out.write("curated: " + ", ".join(f"{label}={curated[label]}" for label in labels) + "\n")
    _responses(chain, out, curated)
    distilled = chain.one("distilled_samples", "response_id, origin, score")
    if distilled is None:
        out.write(f"distilled: {chain.rejection('distill') or 'no'}\n")
    else:
        out.write(
            f"distilled: response {distilled['response_id']} ({distilled['origin']}, score {distilled['score']})\n"
        )
    releases = chain.rows(
        "release_rows", "SELECT release_version, response_id FROM {t} WHERE problem_id = $id ORDER BY release_version"
    )
    names = ", ".join(f"{r['release_version']} (response {r['response_id']})" for r in releases)
    out.write(f"releases: {names or 'none'}\n")
    return True


def _command(args: argparse.Namespace) -> int:
    from amd_assets.cli.options import lakehouse

    return 0 if print_lineage(lakehouse(args), args.problem_id, sys.stdout) else 1


def add_command(commands: Any) -> None:
    """`amd lineage PROBLEM_ID` on the `amd` parser's subcommands."""
    parser = commands.add_parser("lineage", help="the chain of one problem: input line, stages, responses, releases")
    parser.add_argument("problem_id")
    parser.set_defaults(handler=_command)
