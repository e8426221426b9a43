"""The release folder: AM-format JSONL (zstd) and Parquet that load with pyarrow and DuckDB, a manifest that
pins and hashes everything, idempotent re-runs, sharding, and named versions that never clobber silently."""

import re

import duckdb
import orjson
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.json as pj
import pyarrow.parquet as pq
import pytest
from dagster import DagsterInvariantViolationError, Failure

from amd_assets.release.files import ASSISTANT_INFO, OWN_COLUMNS, USER_INFO
from amd_assets.release.manifest import read_manifest
from amd_assets.release.source_tables import content_digest
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.judge import JudgeResource
from amd_assets.verification.tables import DISTILLED_SAMPLES
from tests.release.conftest import version_of

ASSISTANT = re.compile(r"^<think>\n.*\n</think>\n<answer>\n.+\n</answer>$", re.S)


def jsonl_records(path) -> list[dict]:
    with pa.CompressedInputStream(pa.OSFile(str(path)), "zstd") as stream:
        return [orjson.loads(line) for line in stream.read().splitlines()]


def test_jsonl_is_the_am_record_and_loads_with_pyarrow_and_duckdb(history):
    folder = history.folder(history.second)
    (path,) = sorted(folder.glob("jsonl/*.jsonl.zst"))
    assert path.name == "existing_traces-00000.jsonl.zst"  # the samples ship traces only: no teacher split
    records = jsonl_records(path)
    assert len(records) == 42 and {r["source"] for r in records} == {"math", "humaneval"}
    for record in records:
        assert set(record) == {"messages", *OWN_COLUMNS}
        user, assistant = record["messages"]
        assert (user["role"], set(user["info"])) == ("user", set(USER_INFO))
        assert (assistant["role"], set(assistant["info"])) == ("assistant", set(ASSISTANT_INFO))
        assert ASSISTANT.match(assistant["content"]) and assistant["info"]["answer_content"] in assistant["content"]
        assert user["info"]["source"] == record["source"] and record["verdicts"]
    table = pj.read_json(pa.CompressedInputStream(pa.OSFile(str(path)), "zstd"))
    assert table.num_rows == 42 and "messages" in table.column_names
    loaded = duckdb.sql(f"SELECT count(*), count(DISTINCT problem_id) FROM read_json('{path}')").fetchall()
    assert loaded == [(42, 42)]


def am_record(row: dict) -> dict:
    """The AM record of a Parquet release row, written out in Python: what each JSONL line must be."""
    user, assistant = row["messages"]
    return {
        "messages": [
            {"role": user["role"], "content": user["content"], "info": {k: user["info"][k] for k in USER_INFO}},
            {
                "role": assistant["role"],
                "content": assistant["content"],
                "info": {k: assistant["info"][k] for k in ASSISTANT_INFO},
            },
        ],
        **{column: row[column] for column in OWN_COLUMNS},
    }


def test_jsonl_lines_are_the_parquet_rows_as_am_records_byte_for_byte(history):
    """DuckDB writes the JSONL lines (release_rows.sql): they must be what orjson writes for the same record."""
    folder = history.folder(history.second)
    for path in sorted(folder.glob("parquet/*.parquet")):
        rows = pq.read_table(path).to_pylist()
        with pa.CompressedInputStream(pa.OSFile(str(folder / "jsonl" / f"{path.stem}.jsonl.zst")), "zstd") as jsonl:
            lines = jsonl.read().splitlines()
        assert lines == [orjson.dumps(am_record(row)) for row in rows]
        keys = [(row["source"], row["problem_id"]) for row in rows]
        assert keys == sorted(keys)  # sources in release order, problems by id: a re-run writes the same files


def test_parquet_has_the_release_rows_schema_and_loads_with_duckdb(history):
    folder = history.folder(history.second)
    (path,) = sorted(folder.glob("parquet/*.parquet"))
    assert pq.read_schema(path).remove_metadata() == RELEASE_ROWS.schema
    assert ds.dataset(folder / "parquet").count_rows() == 42
    rows = duckdb.sql(f"SELECT source, count(*) FROM '{folder}/parquet/*.parquet' GROUP BY 1 ORDER BY 1").fetchall()
    assert rows == [("humaneval", 12), ("math", 30)]
    first = pq.read_table(path).slice(0, 1).to_pylist()[0]
    assert first["release_version"] == history.second and first["messages"][1]["role"] == "assistant"


def test_card_has_composition_tables_and_plots(history):
    folder = history.folder(history.second)
    card = (folder / "README.md").read_text()
    assert "| humaneval | code | 12 |" in card and "| math | math | 30 |" in card
    assert "load_dataset" in card and "| existing | 42 |" in card
    for plot in ("source_category", "difficulty", "response_length", "pass_rates"):
        assert (folder / "plots" / f"{plot}.png").read_bytes().startswith(b"\x89PNG")


def test_manifest_hashes_and_counts_match_the_files(history):
    folder = history.folder(history.second)
    manifest = read_manifest(folder)
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(manifest["files"]) == files
    import hashlib

    for name, entry in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
    assert manifest["rows"] == {"total": 42, "by_split": {"existing_traces": 42}}
    assert manifest["rows_by_source"] == {"humaneval": 12, "math": 30}
    assert manifest["files"]["parquet/existing_traces-00000.parquet"]["rows"] == 42
    assert manifest["code_version"]["git_commit"] and manifest["config_sha256"]
    assert {(v["origin"], v["verifier"]) for v in manifest["verifiers"]} >= {("existing", "math_verify")}


def test_pinned_delta_versions_reproduce_an_older_release(history):
    """Release A was built before humaneval arrived; reading at A's pinned versions rebuilds exactly A."""
    lakehouse = history.pipeline.lakehouse
    manifest = read_manifest(history.folder(history.first))
    pinned = manifest["upstream_delta_versions"]
    assert pinned["distilled_samples"] < lakehouse.version(DISTILLED_SAMPLES.name)
    old = lakehouse.read(
        DISTILLED_SAMPLES.name, columns=["problem_id", "response_id"], version=pinned["distilled_samples"]
    )
    released = pq.read_table(history.folder(history.first) / "parquet", columns=["problem_id", "response_id"])
    assert sorted(old.to_pylist(), key=str) == sorted(released.to_pylist(), key=str)
    assert content_digest(lakehouse, pinned, JudgeResource()) == manifest["content_sha256"]
    assert history.first == f"r-{manifest['content_sha256'][:12]}"
    assert (
        content_digest(lakehouse, {t: lakehouse.version(t) for t in pinned}, JudgeResource())
        != (manifest["content_sha256"])
    )


def test_rerun_gives_the_same_version_and_identical_files(history):
    folder = history.folder(history.second)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    result = history.pipeline.release()
    assert version_of(result) == history.second
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in history.releases.iterdir() if p.name.startswith(".")]  # no staging left behind
    rows = history.pipeline.lakehouse.count(RELEASE_ROWS.name, ds.field("release_version") == history.second)
    assert rows == 42


def test_sharding_caps_rows_per_file(history):
    result = history.pipeline.release({"version": "sharded", "rows_per_shard": 10})
    assert version_of(result) == "sharded"
    manifest = read_manifest(history.folder("sharded"))
    shards = {name: f["rows"] for name, f in manifest["files"].items() if name.startswith("parquet/")}
    assert len(shards) == 5 and max(shards.values()) == 10 and sum(shards.values()) == 42
    assert len(list(history.folder("sharded").glob("jsonl/*.jsonl.zst"))) == 5


def test_named_version_with_other_content_fails_unless_overwrite(history):
    history.pipeline.release({"version": "named"})
    path = history.folder("named") / "manifest.json"
    manifest = orjson.loads(path.read_bytes())
    manifest["content_sha256"] = "0" * 64  # as if built from other content
    path.write_bytes(orjson.dumps(manifest))
    with pytest.raises((Failure, DagsterInvariantViolationError), match=r"already exists.*different content"):
        history.pipeline.release({"version": "named"})
    history.pipeline.release({"version": "named", "overwrite": True})
    assert read_manifest(history.folder("named"))["content_sha256"] != "0" * 64


def test_nothing_to_release_fails_with_the_reason_and_writes_nothing(tmp_path):
    from dagster import materialize

    from amd_assets.release.assets import release
    from amd_assets.release.store import ReleaseStoreResource
    from amd_assets.verification.judge import JudgeResource
    from resources.lakehouse import LakehouseResource

    releases = tmp_path / "releases"
    result = materialize(
        [release],
        resources={
            "lakehouse": LakehouseResource(root=str(tmp_path / "lakehouse")),
            "release_store": ReleaseStoreResource(root=str(releases)),
            "judge": JudgeResource(),
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert "nothing to release" in failure.step_failure_data.error.message
    assert not releases.exists()
