"""The `amd` command: `amd sql`, `amd materialize`, `amd demo`."""

from __future__ import annotations

import argparse
import os
import sys

from resources.lakehouse import LakehouseResource


def _lakehouse(args: argparse.Namespace) -> LakehouseResource:
    return LakehouseResource(root=args.lakehouse or os.environ.get("AMD_LAKEHOUSE", "lakehouse"))


def _sql(args: argparse.Namespace) -> int:
    from amd_assets.cli.sql import interactive, one_shot

    lakehouse = _lakehouse(args)
    if args.query:
        return one_shot(lakehouse, args.query)
    if not sys.stdin.isatty():
        return one_shot(lakehouse, sys.stdin.read())
    return interactive(lakehouse)


def _materialize(args: argparse.Namespace) -> int:
    from amd_assets.cli.run import materialize_sources

    runs = materialize_sources(args.source or None)
    return 0 if all(run.success for run in runs) else 1


def _audit(args: argparse.Namespace) -> int:
    from amd_assets.cli.audit import dbt_build, default_audit_db, print_audits

    audit_db = default_audit_db()
    code = dbt_build(_lakehouse(args).root_path(), audit_db, quiet=args.quiet)
    if code == 0:
        print_audits(audit_db)
    else:
        print(f"dbt build failed (exit {code}): an audit test or model failed, see above", file=sys.stderr)
    return code


def _demo(args: argparse.Namespace) -> int:
    from amd_assets.cli.audit import default_audit_db, print_audits
    from amd_assets.cli.run import latest_release, materialize_sources
    from amd_assets.cli.summary import stage_counts, verdict_counts

    lakehouse = _lakehouse(args)
    print("Materializing every source: prepare, dedup (all), curate, generate, verify, then release and audit:")
    runs = materialize_sources()
    print("\nRows per source and stage:")
    print(stage_counts(lakehouse) or "(nothing written)")
    print("Verdicts per verifier, verdict and reason (response_verdicts):")
    print(verdict_counts(lakehouse) or "(nothing verified)")
    if os.environ.get("AMD_TEACHER_BACKEND", "none") == "none":
        print("Teacher: not configured (AMD_TEACHER_BACKEND), so teacher_responses wrote nothing; see the README.")
    print(f"Lakehouse: {lakehouse.root_path()}")
    print('Query it:  uv run amd sql "SELECT source, count(*) FROM normalized_problems GROUP BY 1"')
    print("Browse it: make ui  (then http://127.0.0.1:3000)\n")
    release = latest_release()
    print(f"Release: {release or '(none: the release run failed, see above)'}")
    # dbt's tables, built by the `audit` job (the last run of materialize_sources): composition, then the funnel.
    audit_code = print_audits(default_audit_db(), ("release_composition", "stage_funnel"))
    failed = [f"{run.job}:{run.partition or 'all'}" for run in runs if not run.success]
    if failed:
        print(f"FAILED runs: {failed}", file=sys.stderr)
    return 1 if failed or audit_code or not release else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amd", description="Verified reasoning-distillation data platform.")
    parser.add_argument("--lakehouse", help="lakehouse root (default: $AMD_LAKEHOUSE or ./lakehouse)")
    commands = parser.add_subparsers(dest="command", required=True)
    sql = commands.add_parser("sql", help="query the lakehouse tables with DuckDB (interactive without QUERY)")
    sql.add_argument("query", nargs="?", help="SQL to run; prints the result and exits")
    sql.set_defaults(handler=_sql)
    materialize = commands.add_parser("materialize", help="run the per-source pipeline for some or all sources")
    materialize.add_argument("--source", action="append", help="a source from sources.yaml (repeatable)")
    materialize.set_defaults(handler=_materialize)
    audit = commands.add_parser("audit", help="build the dbt audit models and tests over the lakehouse")
    audit.add_argument("--quiet", action="store_true", help="only dbt's errors")
    audit.set_defaults(handler=_audit)
    demo = commands.add_parser("demo", help="materialize every sample source and print what was built")
    demo.set_defaults(handler=_demo)
    from amd_assets.cli import lineage, release_diff

    lineage.add_command(commands)
    release_diff.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
