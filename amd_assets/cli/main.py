"""The `amd` command. Each subcommand imports what it needs when it runs: `amd sql` never imports Dagster."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from amd_assets.cli import lineage, release_diff, sources
from amd_assets.cli.options import add_location_flags, audit_db, lakehouse, location, paths


def _sql(args: argparse.Namespace) -> int:
    from amd_assets.cli.sql import interactive, one_shot

    if args.query:
        return one_shot(lakehouse(args), args.query, audit_db(args))
    if not sys.stdin.isatty():
        return one_shot(lakehouse(args), sys.stdin.read(), audit_db(args))
    return interactive(lakehouse(args), audit_db(args))


def _materialize(args: argparse.Namespace) -> int:
    from amd_assets.cli.instance import instance
    from amd_assets.cli.run import latest_release, report

    outcome = _run_pipeline(args, args.source or None, args.job or None)
    released = outcome.release.startswith("released")
    summary = report(outcome, latest_release(instance(), location(args, "releases")) if released else None)
    if summary:
        print(summary, file=sys.stderr if not outcome.success else sys.stdout)
    return 0 if outcome.success else 1


def _run_pipeline(args: argparse.Namespace, chosen: list[str] | None, jobs: list[str] | None) -> Any:
    """The PipelineOutcome of the chosen sources and jobs (amd_assets.cli.run)."""
    from amd_assets.build import build_defs
    from amd_assets.cli.instance import instance
    from amd_assets.cli.run import JOB_NAMES, materialize_sources
    from amd_assets.partitions import add_sources
    from amd_assets.registry import load_registry

    registered = load_registry(location(args, "sources")).names
    unknown = sorted(set(chosen or []) - set(registered))
    if unknown:
        raise SystemExit(f"unknown source(s) {unknown}; the registry has {registered}")
    wrong = sorted(set(jobs or []) - set(JOB_NAMES))
    if wrong:
        raise SystemExit(f"unknown job(s) {wrong}; the jobs are {JOB_NAMES}")
    dagster_instance = instance()
    add_sources(dagster_instance, registered)
    defs = build_defs(paths=paths(args))
    return materialize_sources(defs, dagster_instance, registered, chosen, jobs, args.release_partial)


def _audit(args: argparse.Namespace) -> int:
    from amd_assets.cli.audit import dbt_build, print_audits

    code = dbt_build(lakehouse(args).root_path(), audit_db(args), quiet=args.quiet)
    if code == 0:
        print_audits(audit_db(args))
    else:
        print(f"dbt build failed (exit {code}): an audit test or model failed, see above", file=sys.stderr)
    return code


def _demo(args: argparse.Namespace) -> int:
    from amd_assets.cli.audit import print_audits
    from amd_assets.cli.instance import instance
    from amd_assets.cli.run import latest_release, report
    from amd_assets.cli.summary import stage_counts, verdict_counts

    tables = lakehouse(args)
    print("Materializing every source: prepare, dedup (all), curate, generate, verify, then release and audit:")
    outcome = _run_pipeline(args, None, None)
    print("\nRows per source and stage:")
    print(stage_counts(tables) or "(nothing written)")
    print("Verdicts per verifier, verdict and reason (response_verdicts):")
    print(verdict_counts(tables) or "(nothing verified)")
    if os.environ.get("AMD_TEACHER_BACKEND", "none") == "none":
        print("Teacher: not configured (AMD_TEACHER_BACKEND), so teacher_responses wrote nothing; see the README.")
    print(f"Lakehouse: {tables.root_path()}")
    print('Query it:  uv run amd sql "SELECT source, count(*) FROM normalized_problems GROUP BY 1"')
    print("Browse it: make ui  (then http://127.0.0.1:3000)\n")
    # The version this run released (an older one stays on disk, but is not what this run made).
    released = outcome.release.startswith("released")
    release = latest_release(instance(), location(args, "releases")) if released else None
    print(f"Release: {release or '(none: ' + outcome.release + ', see below)'}")
    # dbt's tables, built by the `audit` job (the last run of the pipeline): composition, then the funnel.
    audit_code = print_audits(audit_db(args), ("release_composition", "stage_funnel"))
    summary = report(outcome, release)
    if not outcome.success and summary:
        print(summary, file=sys.stderr)
    return 1 if not outcome.success or audit_code or not release else 0


def _instance(args: argparse.Namespace) -> int:
    from amd_assets.cli.instance import dagster_home, write_instance_config

    print(write_instance_config(dagster_home(), force=args.force))
    return 0


def add_release_partial(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--release-partial",
        action="store_true",
        help="release even when some sources failed: the release leaves them out (also their rows from earlier "
        "runs) and lists them in its manifest; without it, a failed source means no release",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amd", description="Verified reasoning-distillation data platform.")
    add_location_flags(parser)
    commands = parser.add_subparsers(dest="command", required=True)
    sql = commands.add_parser("sql", help="query the lakehouse tables and audit models with DuckDB")
    sql.add_argument("query", nargs="?", help="SQL to run; prints the result and exits (else a prompt)")
    sql.set_defaults(handler=_sql)
    materialize = commands.add_parser("materialize", help="run the pipeline for some or all sources")
    materialize.add_argument("--source", action="append", help="a source of the registry (repeatable)")
    materialize.add_argument(
        "--job", action="append", help="only this job, e.g. prepare_sources (repeatable; default: all, in order)"
    )
    add_release_partial(materialize)
    materialize.set_defaults(handler=_materialize)
    audit = commands.add_parser("audit", help="build the dbt audit models and tests over the lakehouse")
    audit.add_argument("--quiet", action="store_true", help="only dbt's errors")
    audit.set_defaults(handler=_audit)
    demo = commands.add_parser("demo", help="materialize every sample source and print what was built")
    add_release_partial(demo)
    demo.set_defaults(handler=_demo)
    instance = commands.add_parser("instance", help="write $DAGSTER_HOME/dagster.yaml (run queue, timeouts)")
    instance.add_argument("--force", action="store_true", help="replace an existing dagster.yaml")
    instance.set_defaults(handler=_instance)
    sources.add_command(commands)
    lineage.add_command(commands)
    release_diff.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
