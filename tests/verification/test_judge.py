"""Rubric judge against a stdlib OpenAI-compatible stub on 127.0.0.1: scoring, strict parsing, retries."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from amd_assets.verification.judge import JudgeItem, JudgeParseError, JudgeResource, parse_rubric
from tests.http_stub import JsonHandler, chat_completion, serve

# A reply is (status, assistant text); the stub serves them in order, repeating the last one.
Reply = tuple[int, str]


@contextmanager
def judge_stub(
    replies: list[Reply],
    delay_s: float = 0.0,
    slow_first_s: float = 0.0,
    respond: Callable[[dict], str] | None = None,
) -> Iterator[tuple[str, list[dict]]]:
    """Serves `replies` in order (the last repeats); `log` gets each request with the requests in flight then."""
    log: list[dict] = []
    lock = threading.Lock()
    in_flight = [0]

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            body = self.read_json()
            with lock:
                in_flight[0] += 1
                log.append({"auth": self.headers.get("Authorization"), "in_flight": in_flight[0], **body})
                first = len(log) == 1
                status, text = replies[min(len(log) - 1, len(replies) - 1)]
            if respond is not None:
                text = respond(body)
            time.sleep(delay_s + (slow_first_s if first else 0.0))
            with lock:
                in_flight[0] -= 1
            if status != 200:
                reply: dict = {"error": {"message": "stub failure", "type": "server_error"}}
            else:
                reply = chat_completion(body["model"], text, completion_id="s")
            # The client may have given up on a deliberately slow reply (timeout test).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                # Keeps the openai client's backoff short in tests.
                self.send_json(status, reply, {"retry-after-ms": "5"})

    with serve(Handler) as url:
        yield url, log


def rubric(c: int, h: int, k: int) -> str:
    return json.dumps({"correctness": c, "helpfulness": h, "coherence": k, "rationale": "stub"})


ITEM = JudgeItem(prompt="Plan a three-day trip to Lyon.", answer="Day 1: Vieux Lyon. Day 2: ... Day 3: ...")


def judge(base_url: str, **kwargs: object) -> JudgeResource:
    settings: dict[str, object] = {"model": "stub-judge", "request_attempts": 3, "request_timeout_s": 5, **kwargs}
    return JudgeResource(base_url=base_url, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(("scores", "verdict", "score"), [((4, 4, 3), "pass", 11 / 12), ((2, 3, 3), "fail", 8 / 12)])
def test_score_and_threshold(scores: tuple[int, int, int], verdict: str, score: float) -> None:
    with judge_stub([(200, rubric(*scores))]) as (url, log):
        [result] = judge(url, pass_threshold=0.75).judge([ITEM])
    assert (result.verdict, result.passed) == (verdict, verdict == "pass")
    assert result.score == pytest.approx(score)
    assert result.verifier == "judge_rubric" and result.detail["correctness"] == scores[0]
    assert log[0]["model"] == "stub-judge" and ITEM.answer in log[0]["messages"][-1]["content"]


def test_api_key_comes_from_the_named_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMD_TEST_JUDGE_KEY", "sk-test-123")
    with judge_stub([(200, rubric(4, 4, 4))]) as (url, log):
        judge(url, api_key_env="AMD_TEST_JUDGE_KEY").judge([ITEM])
    assert log[0]["auth"] == "Bearer sk-test-123"


@pytest.mark.parametrize(
    "text",
    [
        "The answer looks good, I'd give it 4/4/4.",
        '{"correctness": 4, "helpfulness": 4}',
        '{"correctness": 5, "helpfulness": 4, "coherence": 4}',
        '{"correctness": 3.5, "helpfulness": 4, "coherence": 4}',
        '{"correctness": true, "helpfulness": 4, "coherence": 4}',
        '{"correctness": 4, "helpfulness": 4, "coherence": 4',
        "[4, 4, 4]",
        "",
    ],
)
def test_garbled_judge_answer_is_judge_error(text: str) -> None:
    with judge_stub([(200, text)]) as (url, _):
        [result] = judge(url).judge([ITEM])
    assert (result.verdict, result.passed, result.score) == ("judge_error", False, None)
    assert result.reason.startswith("unparseable")


def test_accepted_wrappers_think_block_and_json_fence() -> None:
    data = parse_rubric(
        '<think>weighing it</think>\n```json\n{"correctness": 1, "helpfulness": 2, "coherence": 3}\n```'
    )
    assert [data[k] for k in ("correctness", "helpfulness", "coherence")] == [1, 2, 3]
    with pytest.raises(JudgeParseError):
        parse_rubric('Sure! {"correctness": 1, "helpfulness": 2, "coherence": 3}')


def test_server_error_then_success_is_retried() -> None:
    with judge_stub([(500, ""), (503, ""), (200, rubric(4, 4, 4))]) as (url, log):
        [result] = judge(url).judge([ITEM])
    assert result.verdict == "pass" and len(log) == 3


def test_persistent_failure_is_judge_error_after_retries() -> None:
    with judge_stub([(500, "")]) as (url, log):
        [result] = judge(url, request_attempts=2).judge([ITEM])
    assert result.verdict == "judge_error" and result.reason.startswith("request_failed")
    assert len(log) == 2


def test_many_items_keep_order_under_bounded_concurrency() -> None:
    items = [JudgeItem(prompt=f"q{i}", answer=f"a{i}") for i in range(12)]

    def by_item(body: dict) -> str:
        index = int(body["messages"][-1]["content"].split("## User request\nq")[1].split()[0])
        return rubric(index % 5, 4, 4)

    with judge_stub([(200, "")], delay_s=0.05, respond=by_item) as (url, log):
        results = judge(url, max_concurrency=3, pass_threshold=0.0).judge(items)
    assert [r.verdict for r in results] == ["pass"] * 12 and len(log) == 12
    assert max(entry["in_flight"] for entry in log) == 3
    # Each stub reply scores correctness with the item's index mod 5, so a reordering would show.
    assert [r.detail["correctness"] for r in results] == [i % 5 for i in range(12)]


def test_timeout_is_retried() -> None:
    with judge_stub([(200, rubric(4, 4, 4))], slow_first_s=1.5) as (url, log):
        [result] = judge(url, request_timeout_s=0.5).judge([ITEM])
    assert result.verdict == "pass" and len(log) == 2


def test_no_judge_configured_is_unverified() -> None:
    results = JudgeResource().judge([ITEM, ITEM])
    assert [(r.verdict, r.passed, r.score) for r in results] == [("unverified", False, None)] * 2


def test_version_changes_with_model_and_threshold() -> None:
    base = JudgeResource(base_url="http://127.0.0.1:1/v1")
    assert base.verifier_version != JudgeResource(base_url=base.base_url, pass_threshold=0.5).verifier_version
    assert base.verifier_version != JudgeResource(base_url=base.base_url, model="other").verifier_version


@contextmanager
def reward_stub(replies: list[tuple[int, object]]) -> Iterator[tuple[str, list[dict]]]:
    """A vLLM-style pooling endpoint at /pooling (beside /v1): serves `replies` (status, data) in order."""
    log: list[dict] = []

    class Handler(JsonHandler):
        def do_POST(self) -> None:
            log.append({"path": self.path, **self.read_json()})
            status, data = replies[min(len(log) - 1, len(replies) - 1)]
            self.send_json(status, {"data": [{"index": 0, "object": "pooling", "data": data}]})

    with serve(Handler) as url:
        yield url, log


@pytest.mark.parametrize(("data", "verdict"), [([[0.1], [2.0]], "pass"), ([-1.5], "fail"), (0.0, "pass")])
def test_reward_model_scores_through_the_pooling_endpoint(data: object, verdict: str) -> None:
    with reward_stub([(200, data)]) as (url, log):
        [result] = judge(url, mode="reward", pass_threshold=0.5).judge([ITEM])
    assert (result.verifier, result.verdict, result.passed) == ("judge_reward", verdict, verdict == "pass")
    assert 0.0 <= result.score <= 1.0
    assert log[0]["path"] == "/pooling" and [m["role"] for m in log[0]["messages"]] == ["user", "assistant"]
    assert log[0]["messages"][1]["content"] == ITEM.answer


def test_reward_model_retries_server_errors_and_never_guesses_from_garbage() -> None:
    with reward_stub([(503, None), (200, [3.0])]) as (url, log):
        [result] = judge(url, mode="reward").judge([ITEM])
    assert result.verdict == "pass" and len(log) == 2
    with reward_stub([(200, "not a number")]) as (url, _):
        [garbled] = judge(url, mode="reward").judge([ITEM])
    assert garbled.verdict == "judge_error" and garbled.reason.startswith("unparseable")
    with reward_stub([(400, None)]) as (url, log):
        [refused] = judge(url, mode="reward").judge([ITEM])
    assert refused.verdict == "judge_error" and len(log) == 1  # a bad request is not retried


def test_reward_mode_has_its_own_verifier_name_and_version() -> None:
    rubric, reward = JudgeResource(), JudgeResource(mode="reward")
    assert reward.verifier == "judge_reward" and reward.verifier_version != rubric.verifier_version
    [unverified] = reward.judge([ITEM])
    assert (unverified.verifier, unverified.verdict, unverified.passed) == ("judge_reward", "unverified", False)
