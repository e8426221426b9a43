"""`amd sql`: DuckDB over every lakehouse table and dbt's audit models, as a one-shot query or a prompt.

A table no stage has written yet reads as an empty table of its contract's schema, so a query over a partial
lakehouse fails only on real mistakes. The audit database is attached read-only (`audits.*`, and each audit
model by its own name); while dbt is writing it the audits are left out with a warning. Nothing here imports
Dagster: the first answer comes in about a second.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TextIO

import duckdb

from amd_assets.contracts.catalogue import all_tables
from resources.delta_tables import DeltaTables
from resources.duckdb_views import attach_audit_database, register_lakehouse_views

PROMPT, CONTINUATION = "amd> ", "...> "


def connect(lakehouse: DeltaTables, audit_db: Path | None = None) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    """A connection with every table (written or contract-typed empty) and the audit models; their names."""
    connection = duckdb.connect(":memory:")
    contracts = {name: contract.schema for name, contract in all_tables().items()}
    names = sorted(set(lakehouse.list_tables()) | set(contracts))
    tables = register_lakehouse_views(connection, lakehouse, names, empty_when_missing=contracts)
    if audit_db is not None:
        try:
            tables += attach_audit_database(connection, audit_db, tables)
        except duckdb.Error as error:
            print(f"warning: audit models left out, {audit_db} cannot be opened now: {error}", file=sys.stderr)
    return connection, tables


def run_query(connection: duckdb.DuckDBPyConnection, query: str, out: TextIO) -> None:
    """Run one or more statements; print the last result set as a table (DuckDB elides the middle of long
    results). Raises duckdb.Error."""
    relation = connection.sql(query)
    if relation is not None:
        text = str(relation)
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()


def one_shot(lakehouse: DeltaTables, query: str, audit_db: Path | None = None) -> int:
    connection, _ = connect(lakehouse, audit_db)
    try:
        run_query(connection, query, sys.stdout)
    except duckdb.Error as error:
        print(f"SQL error: {error}", file=sys.stderr)
        return 1
    return 0


def interactive(lakehouse: DeltaTables, audit_db: Path | None = None) -> int:
    """A prompt: statements end with ';', `.tables` lists views, `.quit` or Ctrl-D leaves."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    connection, tables = connect(lakehouse, audit_db)
    print(f"lakehouse: {lakehouse.root_path()}\ntables: {', '.join(tables) or '(none yet: run `make demo`)'}")
    buffer: list[str] = []
    while True:
        try:
            line = input(CONTINUATION if buffer else PROMPT)
        except EOFError:
            print()
            return 0
        except KeyboardInterrupt:
            print()
            buffer.clear()
            continue
        command = line.strip()
        if not buffer and command in (".quit", ".exit"):
            return 0
        if not buffer and command == ".tables":
            print("\n".join(tables))
            continue
        buffer.append(line)
        if command.endswith(";"):
            try:
                run_query(connection, "\n".join(buffer), sys.stdout)
            except duckdb.Error as error:
                print(f"SQL error: {error}", file=sys.stderr)
            buffer.clear()
