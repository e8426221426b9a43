"""The `amd` command: SQL over the lakehouse (one-shot, piped script), and the audit build through dbt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from amd_assets.cli.audit import dbt_build
from amd_assets.cli.main import main
from amd_assets.contracts.tables import QUARANTINE
from tests.pipeline import Pipeline

AMD = str(Path(sys.executable).parent / "amd")


@pytest.fixture
def ingested(lakehouse):
    Pipeline(lakehouse).all(["malformed", "gsm8k"])
    return lakehouse


def test_sql_prints_a_table_of_the_result(ingested, capsys):
    code = main(
        ["--lakehouse", ingested.root, "sql", "SELECT source, count(*) AS n FROM normalized_problems GROUP BY 1"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "│ malformed │" in out and "│ gsm8k     │" in out
    assert "300" in out


def test_sql_error_exits_non_zero_with_duckdbs_message(ingested, capsys):
    code = main(["--lakehouse", ingested.root, "sql", "SELECT nope FROM normalized_problems"])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("SQL error: Binder Error")
    assert "nope" in captured.err


def test_console_script_runs_a_piped_script_over_every_table(ingested):
    script = "SELECT count(*) AS quarantined FROM quarantine WHERE source = 'malformed';"
    done = subprocess.run([AMD, "--lakehouse", ingested.root, "sql"], input=script, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "│           9 │" in done.stdout
    failed = subprocess.run([AMD, "--lakehouse", ingested.root, "sql", "SELEC 1"], capture_output=True, text=True)
    assert failed.returncode == 1
    assert "Parser Error" in failed.stderr


def test_dbt_audits_build_and_guard_the_ingest_invariant(ingested, tmp_path):
    audit_db = tmp_path / "audits.duckdb"
    # Only the funnels this ingest-only lakehouse feeds (tests/audits builds everything over a full pipeline).
    funnels = "ingest_funnel curation_funnel"
    assert dbt_build(ingested.root_path(), audit_db, target_path=tmp_path / "dbt", quiet=True, select=funnels) == 0
    with duckdb.connect(str(audit_db), read_only=True) as connection:
        rows = connection.execute(
            "SELECT source, rows_read, raw_rows, normalized_rows, quarantined_read, quarantined_normalize "
            "FROM ingest_funnel ORDER BY source"
        ).fetchall()
        funnel = connection.execute("SELECT coalesce(sum(problems), 0) FROM curation_funnel").fetchone()
    assert rows == [("gsm8k", 300, 300, 300, 0, 0), ("malformed", 13, 8, 4, 5, 4)]
    assert funnel == (ingested.count("rejections"),)

    # Losing the quarantine rows of a stage breaks "nothing vanishes": the dbt test must fail the build.
    ingested.replace_partition(
        QUARANTINE.name, iter([]), QUARANTINE.schema, {"source": "malformed", "stage": "normalize"}, ["source", "stage"]
    )
    assert dbt_build(ingested.root_path(), audit_db, target_path=tmp_path / "dbt", quiet=True, select=funnels) != 0
