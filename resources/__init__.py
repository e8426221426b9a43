"""Resources the stages use, one module (or package) per concern; importing this package imports none of them.

- `delta_tables`: Delta Lake reads and writes (`Lakehouse`, no Dagster), `lakehouse`: the same as a resource.
- `duckdb_views`: the lakehouse tables (and dbt's audit database) as DuckDB views, `lakehouse_sql` the resource.
- `sandbox/`: the bubblewrap code sandbox; `teacher/`: teacher models (OpenAI-compatible servers, in-process vLLM).
"""
