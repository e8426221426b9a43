"""The options every `amd` command shares: where the lakehouse, releases, registries and audit database are.

A flag wins over its environment variable, which wins over the default (`amd_assets.settings`). Commands that
only read (sql, lineage, release-diff, audit) build a plain `Lakehouse` from them without importing Dagster;
`materialize` and `demo` pass them to `build_defs` as explicit `Paths`, so the runs' resources use them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from amd_assets.settings import Paths, resolved
from resources.delta_tables import Lakehouse

FLAGS = {
    "lakehouse": ("AMD_LAKEHOUSE", "lakehouse root, a folder or s3://, gs://, az:// URI"),
    "releases": ("AMD_RELEASES", "folder of the release versions"),
    "sources": ("AMD_SOURCES", "the source registry (sources.yaml)"),
    "benchmarks": ("AMD_BENCHMARKS", "the benchmark registry (benchmarks.yaml)"),
    "audit_db": ("AMD_AUDIT_DB", "dbt's audit database"),
}


def add_location_flags(parser: argparse.ArgumentParser) -> None:
    for name, (variable, help_text) in FLAGS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, help=f"{help_text} (default: ${variable}, else its default)")


def paths(args: argparse.Namespace) -> Paths:
    """The locations given on the command line; the others stay `EnvVar`s resolved when a run launches."""
    return Paths(**{name: getattr(args, name, None) for name in FLAGS})


def location(args: argparse.Namespace, name: str) -> str:
    return resolved(FLAGS[name][0], getattr(args, name, None))


def lakehouse(args: argparse.Namespace) -> Lakehouse:
    return Lakehouse(root=location(args, "lakehouse"))


def audit_db(args: argparse.Namespace) -> Path:
    return Path(location(args, "audit_db")).expanduser().resolve()
