"""The dbt audits over a lakehouse built by the real pipeline (small real samples, a teacher on 127.0.0.1,
verification, the release), through `dbt build` and through Dagster; a planted duplicate fails the gate."""

import gzip
import json
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
import yaml
from dagster import materialize

from amd_assets.audits.assets import build_audit_assets
from amd_assets.audits.project import load_manifest
from amd_assets.audits.resource import AuditDatabaseResource
from amd_assets.cli.audit import dbt_build
from amd_assets.contracts.tables import QUARANTINE_STAGES
from amd_assets.registry import REPO_ROOT
from amd_assets.registry.resource import SourceRegistryResource
from amd_assets.release.store import ReleaseStoreResource
from amd_assets.release.tables import RELEASE_ROWS
from resources.lakehouse import LakehouseResource
from resources.teacher import TeacherResource
from tests.generation.fake_openai_server import FakeOpenAIServer
from tests.pipeline import Pipeline

# The first rows of math and humaneval keep verification short; planted and malformed are small already.
HEAD = {"math": 30, "humaneval": 10, "planted": None, "malformed": None}
GATE = "unique_combination_release_gate_release_version__problem_id"


def small_registry(folder: Path) -> Path:
    spec = yaml.safe_load((REPO_ROOT / "sources.yaml").read_text())
    entries = {}
    for name, rows in HEAD.items():
        entry = dict(spec["sources"][name])
        original = REPO_ROOT / entry["path"]
        if rows is None:
            entry["path"] = str(original)
        else:
            opener = gzip.open if original.suffix == ".gz" else open
            with opener(original, "rt") as handle:
                head = [next(handle) for _ in range(rows)]
            target = folder / original.name.removesuffix(".gz")
            target.write_text("".join(head))
            entry["path"] = str(target)
        entries[name] = entry
    path = folder / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("audits")
    pipeline = Pipeline(LakehouseResource(root=str(root / "lakehouse")))
    pipeline.resources["source_registry"] = SourceRegistryResource(path=str(small_registry(root)))
    pipeline.resources["release_store"] = ReleaseStoreResource(root=str(root / "releases"))
    pipeline.all(list(HEAD))
    with FakeOpenAIServer() as server:  # a teacher for `planted` (its problems have no trace)
        teacher = pipeline.resources["teacher"]
        pipeline.resources["teacher"] = TeacherResource(backend="openai", base_urls=server.url, max_concurrency=4)
        pipeline.generate("planted")
        pipeline.resources["teacher"] = teacher
    for source in HEAD:
        pipeline.verify(source)
    pipeline.release()
    return pipeline


@pytest.fixture(scope="module")
def audit_db(released, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dbt")
    database = folder / "audits.duckdb"
    assert dbt_build(released.lakehouse.root_path(), database, target_path=folder / "target", quiet=True) == 0
    return database


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def rows(pipeline: Pipeline, table: str, **equal: str) -> list[dict]:
    condition = None
    for column, value in equal.items():
        clause = ds.field(column) == value
        condition = clause if condition is None else condition & clause
    return pipeline.lakehouse.read(table, filter=condition).to_pylist()


def test_stage_funnel_accounts_for_every_dropped_row(released, audit_db):
    funnel = {
        (s, r, src): (n, i, o)
        for s, r, src, n, i, o in query(
            audit_db, "SELECT stage, reason, source, rejected, rows_in, rows_out FROM stage_funnel"
        )
    }
    # malformed.jsonl: 13 lines, 9 quarantined (5 unreadable, 4 not normalizable), 4 normalized
    ingest = {(stage, reason): n for (stage, reason, source), (n, _, _) in funnel.items() if stage in QUARANTINE_STAGES}
    assert ingest == {
        ("read", "bad_json"): 1,
        ("read", "duplicate_key"): 1,
        ("read", "invalid_utf8"): 1,
        ("read", "missing_field"): 1,
        ("read", "not_an_object"): 1,
        ("normalize", "bad_value"): 1,
        ("normalize", "missing_field"): 1,
        ("normalize", "wrong_type"): 2,
    }
    assert funnel[("read", "bad_json", "malformed")][1:] == (13, 8)
    assert funnel[("normalize", "wrong_type", "malformed")][1:] == (8, 4)
    # planted: one problem per filter rule, one benchmark copy
    planted_filters = {r for (s, r, src) in funnel if s == "filter" and src == "planted"}
    assert planted_filters == {
        "empty_prompt",
        "image_reference",
        "incomplete_prompt",
        "table",
        "too_short",
        "unusual_characters",
        "url",
    }
    assert funnel[("filter", "url", "planted")] == (1, 14, 7)
    assert funnel[("decontaminate", "benchmark_ngram", "planted")] == (1, 7, 6)
    # the fake teacher's 6 planted answers are wrong: no accepted response for any curated planted problem
    assert funnel[("distill", "no_accepted_response", "planted")] == (6, 6, 0)
    # every rejection row and every quarantined row is counted exactly once
    rejected = sum(n for n, _, _ in funnel.values())
    assert rejected == released.lakehouse.count("rejections") + released.lakehouse.count("quarantine")
    distill = Counter((r["reason"], r["source"]) for r in rows(released, "rejections", stage="distill"))
    assert {(r, src): n for (s, r, src), (n, _, _) in funnel.items() if s == "distill"} == dict(distill)


def test_contamination_hits_parse_the_benchmark_from_the_detail(released, audit_db):
    hits = query(audit_db, "SELECT benchmark, source, hits FROM contamination_hits ORDER BY ALL")
    expected = Counter(
        (json.loads(r["detail"])["benchmark"], r["source"]) for r in rows(released, "rejections", stage="decontaminate")
    )
    assert hits == sorted((b, s, n) for (b, s), n in expected.items())
    assert ("math500", "planted", 1) in hits


def test_verification_pass_rates_match_the_verdicts(released, audit_db):
    rates = {
        (v, s, o): (n, p, rate)
        for v, s, o, n, p, rate in query(
            audit_db,
            "SELECT verifier, source, origin, sum(verdicts), sum(passed), min(pass_rate) "
            "FROM verification_pass_rates GROUP BY ALL",
        )
    }
    verdicts = rows(released, "response_verdicts")
    expected = Counter((v["verifier"], v["source"], v["origin"]) for v in verdicts)
    passed = Counter((v["verifier"], v["source"], v["origin"]) for v in verdicts if v["passed"])
    assert {k: (n, p) for k, (n, p, _) in rates.items()} == {k: (n, passed[k]) for k, n in expected.items()}
    assert rates[("code_sandbox", "humaneval", "existing")] == (10, 10, 1.0)
    # the fake teacher answers "answer <hash>": its planted responses are verified and fail on the answer
    assert any(o == "teacher" and s == "planted" for (_, s, o) in rates)
    categories = query(audit_db, "SELECT DISTINCT category FROM verification_pass_rates ORDER BY 1")
    assert categories == [("code",), ("math",)]


def test_release_composition_and_lengths_describe_the_release(released, audit_db):
    release = rows(released, RELEASE_ROWS.name)
    composition = query(
        audit_db,
        "SELECT source, origin, sum(samples), sum(share_of_release) FROM release_composition GROUP BY ALL ORDER BY ALL",
    )
    by_source = Counter((r["source"], r["origin"]) for r in release)
    assert [(s, o, n) for s, o, n, _ in composition] == sorted((s, o, n) for (s, o), n in by_source.items())
    assert sum(share for *_, share in composition) == pytest.approx(1.0)
    distilled = Counter(r["source"] for r in rows(released, "distilled_samples"))
    assert dict(Counter(r["source"] for r in release)) == dict(distilled)
    assert distilled["humaneval"] == 10
    lengths = query(
        audit_db, "SELECT source, n, min_response_chars, max_response_chars FROM response_length_stats ORDER BY source"
    )
    chars: dict[str, list[int]] = {}
    for r in release:
        chars.setdefault(r["source"], []).append(r["response_chars"])
    assert lengths == [(s, len(c), min(c), max(c)) for s, c in sorted(chars.items())]


def test_cost_per_accepted_sample_sums_the_teachers_tokens(released, audit_db):
    cost = {
        row[0]: row[1:]
        for row in query(
            audit_db,
            "SELECT source, teacher_requests, prompt_tokens, completion_tokens, accepted_samples, "
            "teacher_cost_usd FROM cost_per_accepted_sample",
        )
    }
    teacher = rows(released, "teacher_responses", source="planted")
    prompt = sum(r["prompt_tokens"] or 0 for r in teacher)
    completion = sum(r["completion_tokens"] or 0 for r in teacher)
    assert teacher and completion == 7 * len(teacher)  # the fake server reports 7 completion tokens each
    assert cost["planted"][:3] == (len(teacher), prompt, completion)
    assert cost["planted"][4] == pytest.approx((prompt * 0.55 + completion * 2.19) / 1e6, abs=1e-6)
    assert cost["humaneval"] == (0, 0, 0, 10, 0.0)
    assert set(cost) == set(HEAD)


def test_dagster_materializes_the_models_and_reports_the_tests_as_checks(released, tmp_path):
    database = tmp_path / "dagster_audits.duckdb"
    # The release gate and the release audits downstream of it: `dbt build --select` of those models.
    selection = ["release_gate", "release_composition", "response_length_stats"]
    dbt_audits, _ = build_audit_assets(load_manifest())
    result = materialize(
        [dbt_audits],
        selection=selection,
        resources={
            "lakehouse": released.lakehouse,
            "audit_db": AuditDatabaseResource(path=str(database)),
        },
    )
    assert result.success
    assert {e.asset_key.path[-1] for e in result.get_asset_materialization_events()} == set(selection)
    checks = {(e.asset_key.path[-1], e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    expected = {
        (key.asset_key.path[-1], key.name) for key in dbt_audits.check_keys if key.asset_key.path[-1] in selection
    }
    assert set(checks) == expected and all(checks.values())
    assert ("release_gate", GATE) in checks and ("release_composition", "release_shares_add_up") in checks
    assert query(database, "SELECT sum(samples) FROM release_composition") == [
        (released.lakehouse.count(RELEASE_ROWS.name),)
    ]


def test_a_duplicate_sample_in_the_release_fails_the_gate(released, tmp_path):
    first = released.lakehouse.read(RELEASE_ROWS.name).slice(0, 1)
    released.lakehouse.append(RELEASE_ROWS.name, first.to_batches(), RELEASE_ROWS.schema, RELEASE_ROWS.partition_by)
    target = tmp_path / "target"
    database = tmp_path / "audits.duckdb"
    code = dbt_build(released.lakehouse.root_path(), database, target_path=target, quiet=True, select="release_gate+")
    assert code != 0
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = {r["unique_id"].split(".")[2] for r in results if r["status"] in ("fail", "error")}
    assert failed == {GATE, "unique_combination_release_gate_release_version__response_id"}
    skipped = {r["unique_id"].split(".")[2] for r in results if r["status"] == "skipped"}
    assert {"release_composition", "response_length_stats"} <= skipped
