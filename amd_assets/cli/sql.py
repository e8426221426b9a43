"""`amd sql`: DuckDB over every lakehouse table, as a one-shot query or an interactive prompt."""

from __future__ import annotations

import contextlib
import sys
from typing import TextIO

import duckdb

from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import register_lakehouse_views

PROMPT, CONTINUATION = "amd> ", "...> "


def connect(lakehouse: LakehouseResource) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    connection = duckdb.connect(":memory:")
    return connection, register_lakehouse_views(connection, lakehouse)


def run_query(connection: duckdb.DuckDBPyConnection, query: str, out: TextIO) -> None:
    """Run one or more statements; print the last result set as a table (DuckDB elides the middle of long
    results). Raises duckdb.Error."""
    relation = connection.sql(query)
    if relation is not None:
        text = str(relation)
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()


def one_shot(lakehouse: LakehouseResource, query: str) -> int:
    connection, _ = connect(lakehouse)
    try:
        run_query(connection, query, sys.stdout)
    except duckdb.Error as error:
        print(f"SQL error: {error}", file=sys.stderr)
        return 1
    return 0


def interactive(lakehouse: LakehouseResource) -> int:
    """A prompt: statements end with ';', `.tables` lists views, `.quit` or Ctrl-D leaves."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (line editing and history for input())
    connection, tables = connect(lakehouse)
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
