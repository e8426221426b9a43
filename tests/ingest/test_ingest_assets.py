"""The ingest assets run through Dagster on the real sample sources, with their blocking checks."""

from __future__ import annotations

import pyarrow.dataset as ds
import pytest

from amd_assets.cli.summary import stage_counts
from amd_assets.contracts.tables import NORMALIZED_PROBLEMS, QUARANTINE, RAW_PROBLEMS

MALFORMED_FILE = "data/samples/malformed/malformed.jsonl"
EXPECTED_QUARANTINE = [
    (2, "read", "bad_json", None),
    (3, "read", "invalid_utf8", None),
    (5, "read", "not_an_object", None),
    (6, "normalize", "missing_field", "question"),
    (7, "normalize", "wrong_type", "question"),
    (9, "read", "duplicate_key", "id"),
    (11, "normalize", "wrong_type", "answer"),
    (12, "normalize", "bad_value", "level"),
    (13, "read", "missing_field", "id"),
]


def partition(lakehouse, table: str, source: str) -> list[dict[str, object]]:
    rows = lakehouse.read(table, filter=ds.field("source") == source).to_pylist()
    return sorted(rows, key=lambda row: (row["source_row"], row.get("stage") or ""))


def test_malformed_source_yields_exact_quarantine_rows_and_all_valid_rows(materialize_source, lakehouse):
    result = materialize_source("malformed")
    assert result.success

    quarantined = partition(lakehouse, QUARANTINE.name, "malformed")
    assert [(q["source_row"], q["stage"], q["error_type"], q["field"]) for q in quarantined] == EXPECTED_QUARANTINE
    assert {q["source_file"] for q in quarantined} == {MALFORMED_FILE}
    by_line = {q["source_row"]: q for q in quarantined}
    assert "unexpected end of data" in by_line[2]["error"]
    assert "\\xe9" in by_line[3]["raw_text"], "undecodable bytes stay visible in the quarantine"
    assert by_line[9]["error"] == f"row key 'm1' already used at {MALFORMED_FILE}:1"

    kept = partition(lakehouse, NORMALIZED_PROBLEMS.name, "malformed")
    assert [(r["source_row"], r["row_key"], r["reference_answer"], r["difficulty"]) for r in kept] == [
        (1, "m1", "4", "easy"),
        (4, "m4", "9", None),
        (10, "m10", "5", "medium"),
        (14, "m14", "14", None),
    ]
    assert "français ✓" in kept[2]["prompt"]

    raw_meta = result.asset_materializations_for_node("raw_problems")[0].metadata
    assert raw_meta["dagster/row_count"].value == 8
    assert raw_meta["quarantined"].value == 5
    assert raw_meta["blank_lines"].value == 1
    assert raw_meta["rows_read"].value == 13
    assert "duplicate_key" in raw_meta["quarantined_preview"].value
    checks = {(c.asset_key.path[-1], c.check_name): c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {
        ("raw_problems", "contract"): True,
        ("normalized_problems", "contract"): True,
        ("normalized_problems", "accounts_for_every_row"): True,
    }


def test_the_demo_summary_counts_the_quarantine_of_each_stage(materialize_source, lakehouse):
    """`amd demo`'s rows-per-stage table: one column per quarantine stage, with that stage's rows."""
    assert materialize_source("malformed").success
    table = stage_counts(lakehouse)
    assert table is not None
    header = next(line for line in table.splitlines() if "raw" in line and "quarantined" in line)
    row = next(line for line in table.splitlines() if "malformed" in line)
    cells = dict(zip(header.split("│")[1:-1], row.split("│")[1:-1], strict=True))
    counts = {name.strip(): int(value) for name, value in cells.items() if name.strip() != "source"}
    assert counts == {"raw": 8, "normalized": 4, "quarantined:read": 5, "quarantined:norm": 4}


@pytest.mark.parametrize("source", ["gsm8k", "math", "humaneval", "mbpp"])
def test_sample_sources_normalize_completely(materialize_source, lakehouse, source):
    assert materialize_source(source).success
    raw = lakehouse.count(RAW_PROBLEMS.name, ds.field("source") == source)
    rows = partition(lakehouse, NORMALIZED_PROBLEMS.name, source)
    assert len(rows) == raw > 0
    assert lakehouse.count(QUARANTINE.name, ds.field("source") == source) == 0
    first = rows[0]
    if source == "gsm8k":
        assert all(r["reference_answer"] and r["reference_answer"].replace(",", "").lstrip("-").isdigit() for r in rows)
    if source == "math":
        assert all(r["trace_origin"] == "existing" and r["reference_answer"] for r in rows)
        assert {r["difficulty"] for r in rows} <= {"very easy", "easy", "medium", "hard", "very hard", None}
        assert "\\iny" not in "".join(r["reference_answer"] for r in rows)
    if source == "humaneval":
        assert len(rows) == 164 and first["row_key"] == "HumanEval/0"
        assert all(r["num_test_cases"] == 1 and r["trace_answer"].startswith("```python") for r in rows)
    if source == "mbpp":
        assert all(r["num_test_cases"] >= 1 and "assert" in r["test_cases"] for r in rows)


def test_rematerializing_a_partition_is_idempotent_and_leaves_others_untouched(materialize_source, lakehouse):
    assert materialize_source("gsm8k").success
    assert materialize_source("malformed").success
    before = partition(lakehouse, NORMALIZED_PROBLEMS.name, "gsm8k")
    other_files = {
        table: lakehouse.partition_files(table, {"source": "malformed"})
        for table in (RAW_PROBLEMS.name, NORMALIZED_PROBLEMS.name)
    }

    assert materialize_source("gsm8k").success
    assert materialize_source("gsm8k").success

    assert partition(lakehouse, NORMALIZED_PROBLEMS.name, "gsm8k") == before
    assert len({row["problem_id"] for row in before}) == len(before) == 300
    for table, files in other_files.items():
        assert lakehouse.partition_files(table, {"source": "malformed"}) == files


def test_a_failing_contract_blocks_downstream_assets(materialize_source, lakehouse, monkeypatch):
    import amd_assets.ingest.raw as raw

    real_problem_id = raw.problem_id
    monkeypatch.setattr(raw, "problem_id", lambda source, key: real_problem_id(source, key).upper())
    result = materialize_source("malformed", raise_on_error=False)

    assert not result.success
    evaluations = {c.asset_key.path[-1]: c for c in result.get_asset_check_evaluations()}
    assert not evaluations["raw_problems"].passed
    failures = evaluations["raw_problems"].metadata["failures_by_check"].value
    assert failures["raw_problems"] == {"problem_id: str_matches('^[0-9a-f]{24}$')": 8}
    assert "normalized_problems" not in evaluations
    assert not lakehouse.exists(NORMALIZED_PROBLEMS.name)
