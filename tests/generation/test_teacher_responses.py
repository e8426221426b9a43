"""`teacher_responses` through Dagster against the fake server: selection, exactly-once, failures as rows."""

from __future__ import annotations

from collections import Counter

import pytest
from generation_support import SOURCE, make_teacher, problem, write_curated, write_verdicts

from amd_assets.generation.driver import TeacherUnavailableError
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.verification.candidates import existing_response_id
from resources.teacher import TeacherResource

pytest_plugins = ["generation_fixtures"]


def rows(lakehouse) -> list[dict]:
    return sorted(
        lakehouse.read(TEACHER_RESPONSES.name).to_pylist(), key=lambda r: (r["source_row"], r["sample_index"])
    )


def metadata(result) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("teacher_responses")[0].metadata.items()}


def check_passed(result) -> bool:
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation.passed


def test_without_a_teacher_nothing_is_requested_or_written(lakehouse, run_generation):
    write_curated(lakehouse, [problem(0)])
    result = run_generation(TeacherResource())
    assert result.success
    assert metadata(result)["teacher"] == "no teacher configured"
    assert not lakehouse.exists(TEACHER_RESPONSES.name)


def test_problems_without_a_trace_get_responses_with_lineage_and_accounting(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(i, trace=i % 3 == 0) for i in range(9)])
    result = run_generation(make_teacher(server))
    assert result.success and check_passed(result)

    written = rows(lakehouse)
    assert [r["source_row"] for r in written] == [2, 3, 5, 6, 8, 9]  # rows 1, 4, 7 carry an existing trace
    first = written[0]
    assert (first["source"], first["source_file"], first["problem_id"]) == (SOURCE, "data/gsm8k.jsonl", f"{1:024x}")
    assert (first["status"], first["origin"], first["backend"], first["model"]) == (
        "ok",
        "teacher",
        "openai",
        "deepseek-ai/DeepSeek-R1",
    )
    assert first["think"].startswith("reasoning about") and first["answer"].startswith("answer")
    assert first["sampling_params"] == '{"max_tokens":32768,"temperature":0.6,"top_p":0.95}'
    # the paper's system prompt, then the math template
    messages = server.log[0].body["messages"]
    assert messages[0]["role"] == "system" and "<think> </think> and <answer> </answer>" in messages[0]["content"]
    assert messages[1]["content"].endswith("put your final answer within \\boxed{}.")

    meta = metadata(result)
    assert (meta["problems"], meta["skipped_existing_trace"], meta["responses_written"], meta["ok"]) == (9, 3, 6, 6)
    assert meta["requests_sent"] == 6 and meta["failed"] == 0
    assert meta["prompt_tokens"] == sum(r["prompt_tokens"] for r in written) > 0
    assert meta["completion_tokens"] == 6 * 7 and meta["responses_per_second"] > 0
    assert meta["dagster/row_count"] == 6


def test_rerun_requests_nothing_already_stored(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(i) for i in range(5)])
    assert run_generation(make_teacher(server)).success
    version = lakehouse.version(TEACHER_RESPONSES.name)

    again = run_generation(make_teacher(server))
    assert again.success
    assert len(server.log) == 5
    assert lakehouse.version(TEACHER_RESPONSES.name) == version
    assert metadata(again)["already_stored"] == 5 and metadata(again)["responses_written"] == 0

    # new problems in the partition: only they are requested
    write_curated(lakehouse, [problem(i) for i in range(7)])
    assert run_generation(make_teacher(server)).success
    assert len(server.log) == 7 and len(rows(lakehouse)) == 7


def test_failures_are_rows_and_transient_ones_are_retried_by_later_runs(server, lakehouse, run_generation):
    write_curated(
        lakehouse,
        [problem(0), problem(1, prompt="always down"), problem(2, prompt="bad request"), problem(3, prompt="long")],
    )
    server.script("always down", *["500"] * 100)
    server.script("bad request", *["400"] * 100)
    server.script("long", "length")
    teacher = make_teacher(server, request_attempts=2)

    first = run_generation(teacher, max_request_failures=2)
    assert first.success and check_passed(first)
    by_row = {r["source_row"]: r for r in rows(lakehouse)}
    assert (by_row[2]["status"], by_row[2]["error_class"], by_row[2]["attempts"]) == ("failed", "server_error", 2)
    assert (by_row[3]["status"], by_row[3]["error_class"], by_row[3]["attempts"]) == ("failed", "client_error", 1)
    assert (by_row[4]["status"], by_row[4]["truncated"], by_row[4]["finish_reason"]) == ("truncated", True, "length")
    assert metadata(first)["failures_by_class"] == {"client_error": 1, "server_error": 1}

    # second run: the transiently failed response is asked again; the invalid request gets a fresh sample index
    second = run_generation(teacher, max_request_failures=2)
    assert second.success and check_passed(second)
    second_run = server.log[4 + 1 :]  # the first run made 5 requests (one retry)
    assert Counter(marker for e in second_run for marker in ("always down", "bad request") if marker in e.prompt) == (
        Counter({"always down": 2, "bad request": 1})
    )
    # third run: the server error failed twice in two runs and is given up; the bad request tries index 2
    run_generation(teacher, max_request_failures=2)
    down = [r for r in rows(lakehouse) if r["source_row"] == 2]
    bad = [r for r in rows(lakehouse) if r["source_row"] == 3]
    assert [r["sample_index"] for r in down] == [0, 0, 1]
    assert [r["sample_index"] for r in bad] == [0, 1, 2]


def test_samples_per_round_and_the_verdict_signal_decide_what_is_wanted(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(0), problem(1), problem(2, trace=True)])
    assert run_generation(make_teacher(server), samples_per_round=2).success
    first = rows(lakehouse)
    assert [(r["source_row"], r["sample_index"]) for r in first] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert len({r["response_id"] for r in first}) == 4

    # what the verification stage writes: problem 0 accepted, both responses of problem 1 rejected, the existing
    # trace of problem 2 rejected (every required verifier under the current versions, as acceptance reads them)
    trace = existing_response_id(f"{2:024x}", "human", None, "an existing answer")
    write_verdicts(
        lakehouse, {first[0]["response_id"]: True, **{r["response_id"]: False for r in first[2:]}, trace: False}
    )

    assert run_generation(make_teacher(server), samples_per_round=2, max_attempts=3).success
    before = {r["response_id"] for r in first}
    added = [(r["source_row"], r["sample_index"]) for r in rows(lakehouse) if r["response_id"] not in before]
    # accepted: nothing more; two rejected of max 3: one more; rejected trace: a first round of teacher samples
    assert added == [(2, 2), (3, 0), (3, 1)]


def test_checkpoints_bound_what_is_paid_but_uncommitted(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(i) for i in range(20)])
    result = run_generation(make_teacher(server, max_concurrency=2), checkpoint_every=5)
    assert result.success
    history = lakehouse.history(TEACHER_RESPONSES.name)
    commits = [entry["operationMetrics"]["num_added_rows"] for entry in history if entry["operation"] == "WRITE"]
    assert sum(commits) == 20 and max(commits) <= 5 and len(commits) >= 4
    assert metadata(result)["checkpoints"] == len(commits)
    # the run ends by folding its checkpoint files into one: readers open one file, not one per checkpoint
    assert history[0]["operation"] == "OPTIMIZE" and metadata(result)["files_compacted"] == len(commits)
    assert len(lakehouse.partition_files(TEACHER_RESPONSES.name, {"source": SOURCE})) == 1


def test_a_teacher_that_is_down_stops_the_run_after_committing_what_it_has(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(i) for i in range(30)])
    server.set_default("503")
    result = run_generation(
        make_teacher(server, request_attempts=1, max_concurrency=1), raise_on_error=False, max_consecutive_failures=5
    )
    assert not result.success
    failure = result.failure_data_for_node("teacher_responses")
    assert TeacherUnavailableError.__name__ in str(failure.error)
    written = rows(lakehouse)
    assert len(written) == 5 and {r["error_class"] for r in written} == {"server_error"}


def test_the_contract_check_blocks_a_partition_with_a_response_stored_twice(server, lakehouse, run_generation):
    write_curated(lakehouse, [problem(0)])
    assert run_generation(make_teacher(server)).success
    duplicate = lakehouse.read(TEACHER_RESPONSES.name)
    lakehouse.append(TEACHER_RESPONSES.name, duplicate.to_batches(), TEACHER_RESPONSES.schema, ["source"])

    result = run_generation(make_teacher(server), raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.metadata["failures_by_check"].value == {
        TEACHER_RESPONSES.name: {"response_id generated twice": 1, "(response_id, run_id) twice": 1}
    }


@pytest.mark.parametrize("category,expected", [("code", "```cpp"), ("general", None)])
def test_category_templates(server, lakehouse, run_generation, category, expected):
    tests = '{"kind": "stdio", "language": "cpp", "cases": []}' if category == "code" else None
    write_curated(lakehouse, [problem(0, category=category, test_cases=tests)])
    assert run_generation(make_teacher(server), system_prompt="").success
    (message,) = server.log[0].body["messages"]  # no system prompt configured
    if expected:
        assert expected in message["content"] and "fenced code block" in message["content"]
    else:
        assert message["content"] == problem(0)["prompt"]
