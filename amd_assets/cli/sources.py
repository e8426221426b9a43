"""`amd sources`: the source registry beside the instance's `sources` partitions, and keeping them in step.

- `amd sources` lists each registered source (files, partition, which stages have materialized it) and every
  partition whose source left the registry.
- `amd sources sync` adds the registry's sources as partitions and deletes the partitions of removed sources
  (what the `source_change` sensor does each tick); `make ui` runs it so a fresh instance lists every source.
- `amd sources prune` deletes the rows of sources no longer in the registry from every per-source table (after
  showing the counts; `--yes` to delete). Releases already published keep them; run `deduplicate` afterwards.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from amd_assets.cli.instance import instance
from amd_assets.cli.options import lakehouse, location
from amd_assets.registry import SourceFileError, load_registry
from resources.delta_tables import DeltaTables, sql_literal

if TYPE_CHECKING:
    from dagster import DagsterInstance

STAGES = ["raw_problems", "curated_problems", "teacher_responses", "distilled_samples"]


def stage_status(dagster_instance: DagsterInstance) -> dict[str, set[str]]:
    """Per stage asset, the sources (partitions) it has been materialized for."""
    from dagster import AssetKey

    return {stage: set(dagster_instance.get_materialized_partitions(AssetKey(stage))) for stage in STAGES}


def source_rows(names: list[str], registered: set[str], done: dict[str, set[str]], files: dict[str, str]) -> str:
    header = ["source", "files", "partition", *(stage.split("_")[0] for stage in STAGES)]
    rows = [header]
    for name in names:
        marks = ["yes" if name in done[stage] else "-" for stage in STAGES]
        rows.append([name, files[name], "yes" if name in registered else "missing", *marks])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def list_sources(args: argparse.Namespace) -> int:
    from amd_assets.partitions import SOURCES

    registry = load_registry(location(args, "sources"))
    dagster_instance = instance()
    registered = set(dagster_instance.get_dynamic_partitions(SOURCES))
    files: dict[str, str] = {}
    for name in registry.names:
        try:
            files[name] = str(len(registry.files(name)))
        except SourceFileError:
            files[name] = "none"
    print(f"registry: {registry.path}")
    print(source_rows(registry.names, registered, stage_status(dagster_instance), files))
    removed = sorted(registered - set(registry.names))
    if removed:
        print(
            f"\npartitions of sources no longer registered: {', '.join(removed)} (their rows stay until "
            "`amd sources prune`)"
        )
    missing = [name for name in registry.names if name not in registered]
    if missing:
        print(f"\nnot yet partitions: {', '.join(missing)} (`amd sources sync`, or the source_change sensor)")
    return 0


def sync_sources(args: argparse.Namespace) -> int:
    from amd_assets.partitions import SOURCES, add_sources

    names = load_registry(location(args, "sources")).names
    dagster_instance = instance()
    added = add_sources(dagster_instance, names)
    removed = sorted(set(dagster_instance.get_dynamic_partitions(SOURCES)) - set(names))
    for name in removed:
        dagster_instance.delete_dynamic_partition(SOURCES, name)
    print(f"sources: {len(names)} registered; added {added or 'none'}; removed {removed or 'none'}")
    return 0


def orphan_counts(tables: DeltaTables, keep: list[str]) -> dict[str, dict[str, int]]:
    """Rows per table and unregistered source, over the tables partitioned by source."""
    import duckdb

    from amd_assets.contracts.catalogue import all_tables

    counts: dict[str, dict[str, int]] = {}
    connection = duckdb.connect(":memory:")
    for name, contract in all_tables().items():
        if "source" not in contract.partition_by or not tables.exists(name):
            continue
        connection.register(name, tables.dataset(name))
        found = connection.execute(
            f"SELECT source, count(*) FROM {name} WHERE source NOT IN (SELECT unnest($keep)) GROUP BY 1", {"keep": keep}
        ).fetchall()
        if found:
            counts[name] = {str(source): int(n) for source, n in found}
    return counts


def prune_sources(args: argparse.Namespace) -> int:
    keep = load_registry(location(args, "sources")).names
    tables = lakehouse(args)
    counts = orphan_counts(tables, keep)
    if not counts:
        print("nothing to prune: every row belongs to a registered source")
        return 0
    for table, by_source in counts.items():
        print(f"{table}: " + ", ".join(f"{source} {n}" for source, n in sorted(by_source.items())))
    if not args.yes:
        print("dry run: `amd sources prune --yes` deletes these rows", file=sys.stderr)
        return 0
    predicate = f"source NOT IN ({', '.join(sql_literal(name) for name in keep)})"
    for table in counts:
        print(f"{table}: deleted {tables.delete_where(table, predicate)} rows")
    print("run `deduplicate` (or `amd materialize`) next: dedup decisions are global")
    return 0


def add_command(commands: Any) -> None:
    """`amd sources [list|sync|prune]` on the `amd` parser's subcommands."""
    parser = commands.add_parser("sources", help="the source registry and its partitions (list, sync, prune)")
    actions = parser.add_subparsers(dest="action")
    parser.set_defaults(handler=list_sources)
    actions.add_parser("list", help="registry, partitions and stage status").set_defaults(handler=list_sources)
    actions.add_parser("sync", help="partitions = the registry's sources").set_defaults(handler=sync_sources)
    prune = actions.add_parser("prune", help="delete the rows of sources no longer registered")
    prune.add_argument("--yes", action="store_true", help="delete (without it, only show what would go)")
    prune.set_defaults(handler=prune_sources)
