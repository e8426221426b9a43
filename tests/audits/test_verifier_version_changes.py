"""The verifier-upgrade audit through a real `dbt build`: verdicts of two versions of one verifier planted in a
lakehouse, with the runs that used each version, give the flips per verifier, version pair, source and origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from amd_assets.cli.audit import dbt_build
from amd_assets.verification.tables import RESPONSE_VERDICTS, VERIFIER_VERSIONS
from resources.lakehouse import LakehouseResource

OLD, NEW = "0.9.0+amd.2", "0.9.0+amd.3"
START = datetime(2026, 1, 1, tzinfo=UTC)


def verdict(response: str, verifier: str, version: str, verdict: str, source: str = "s1", origin: str = "teacher"):
    passed = verdict == "pass"
    return {
        "response_id": response,
        "problem_id": f"p{response}",
        "source": source,
        "source_file": f"{source}.jsonl",
        "source_row": 1,
        "origin": origin,
        "verifier": verifier,
        "verifier_version": version,
        "verdict": verdict,
        "passed": passed,
        "score": float(passed),
        "reason": verdict,
        "detail": "{}",
        "duration_s": 0.0,
    }


def used(verifier: str, version: str, day: int, source: str = "s1", origin: str = "teacher") -> dict[str, Any]:
    """A verification run on `day` judged with this version."""
    recorded = START + timedelta(days=day)
    return {
        "source": source,
        "origin": origin,
        "verifier": verifier,
        "verifier_version": version,
        "run_id": f"run{day}",
        "recorded_at": recorded,
    }


VERDICTS = [
    # math-verify upgraded in s1: unchanged, fail -> pass, pass -> fail, relabelled failure, new response only
    *(verdict("r1", "math_verify", v, "pass") for v in (OLD, NEW)),
    verdict("r2", "math_verify", OLD, "mismatch"),
    verdict("r2", "math_verify", NEW, "pass"),
    verdict("r3", "math_verify", OLD, "pass"),
    verdict("r3", "math_verify", NEW, "mismatch"),
    verdict("r4", "math_verify", OLD, "mismatch"),
    verdict("r4", "math_verify", NEW, "no_answer"),
    verdict("r5", "math_verify", NEW, "pass"),
    *(verdict("r6", "math_verify", v, "pass") for v in (OLD, OLD, NEW)),  # a crash stored one twice
    # ... and in s2
    verdict("r7", "math_verify", OLD, "pass", "s2"),
    verdict("r7", "math_verify", NEW, "mismatch", "s2"),
    # the format rule: a version no recorded run used (older than every recorded one), and one per origin
    verdict("r1", "rule_format", "1+before", "pass"),
    verdict("r1", "rule_format", "1+teacher", "fail"),
    verdict("e1", "rule_format", "1+existing", "pass", origin="existing"),
    # a judge configuration switched from A to B and back: A is the newer
    verdict("r8", "judge_rubric", "1+A", "pass"),
    verdict("r8", "judge_rubric", "1+B", "fail"),
    verdict("r9", "judge_rubric", "1+A", "unverified"),  # a placeholder, not a verdict
    verdict("r9", "judge_rubric", "1+B", "pass"),
]
RUNS = [
    used("math_verify", OLD, 1),
    used("math_verify", NEW, 2),
    used("math_verify", OLD, 1, "s2"),
    used("math_verify", NEW, 2, "s2"),
    used("rule_format", "1+teacher", 2),
    used("rule_format", "1+existing", 2, origin="existing"),
    used("judge_rubric", "1+A", 1),
    used("judge_rubric", "1+B", 2),
    used("judge_rubric", "1+A", 3),
]
COLUMNS = "verifier, old_version, new_version, source, origin, new_is_current"
COUNTS = "judged_by_both, pass_to_fail, fail_to_pass, unchanged, relabelled"


def test_flips_between_two_versions_per_verifier_source_and_origin(tmp_path: Path):
    lakehouse = LakehouseResource(root=str(tmp_path / "lakehouse"))
    for contract, rows in ((RESPONSE_VERDICTS, VERDICTS), (VERIFIER_VERSIONS, RUNS)):
        batch = pa.RecordBatch.from_pylist(rows, schema=contract.schema)
        lakehouse.append(contract.name, [batch], contract.schema, contract.partition_by)
    database = tmp_path / "audits.duckdb"
    # the model and its data tests: a failing test fails the build
    built = dbt_build(str(tmp_path / "lakehouse"), database, tmp_path / "target", True, "verifier_version_changes")
    assert built == 0

    with duckdb.connect(str(database), read_only=True) as connection:
        found = connection.execute(f"SELECT {COLUMNS}, {COUNTS} FROM verifier_version_changes ORDER BY ALL").fetchall()
    assert found == [
        ("judge_rubric", "1+B", "1+A", "s1", "teacher", True, 1, 0, 1, 0, 0),
        ("math_verify", OLD, NEW, "s1", "teacher", True, 5, 1, 1, 3, 1),
        ("math_verify", OLD, NEW, "s2", "teacher", True, 1, 1, 0, 0, 0),
        ("rule_format", "1+before", "1+teacher", "s1", "teacher", True, 1, 1, 0, 0, 0),
    ]
