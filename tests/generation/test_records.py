"""Pure pieces: think/answer split, response ids, backoff and Retry-After, prompts."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from amd_assets.generation.prompts import PAPER_SYSTEM_PROMPT, PromptBuilder
from amd_assets.generation.selection import SamplingPlan, VerdictSignal, response_id, samples_wanted
from resources.teacher import RetryPolicy, SamplingParams, split_think_answer
from resources.teacher.retry import is_transient, parse_retry_after, status_error


@pytest.mark.parametrize(
    "content,reasoning,expected",
    [
        ("<think>\nsteps\n</think>\n<answer>\n42\n</answer>", None, ("steps", "42", "tags")),
        # R1's template opens <think> in the prompt: the text starts inside it
        ("steps\n</think>\n\nThe answer is 42.", None, ("steps", "The answer is 42.", "tags")),
        ("<answer>42</answer>", "steps", ("steps", "42", "reasoning_field")),
        ("The answer is 42.", "steps", ("steps", "The answer is 42.", "reasoning_field")),
        ("<think>\nsteps that never end", None, (None, None, "none")),
        ("just an answer", None, (None, None, "none")),
        ("<think>a</think><think>b</think>c", None, ("a</think><think>b", "c", "tags")),
        (None, None, (None, None, "none")),
    ],
)
def test_split_think_answer(content, reasoning, expected):
    split = split_think_answer(content, reasoning)
    assert (split.think, split.answer, split.method) == expected


def test_response_id_is_stable_and_changes_with_each_part():
    base = ("0" * 24, "deepseek-ai/DeepSeek-R1", SamplingParams(), "abc123abc123", 0)
    key = response_id(*base)
    assert key == response_id(*base) and len(key) == 24 and int(key, 16) >= 0
    variants = [
        ("1" * 24, *base[1:]),
        (base[0], "other-model", *base[2:]),
        (*base[:2], SamplingParams(temperature=1.0), *base[3:]),
        (*base[:3], "def456def456", base[4]),
        (*base[:4], 1),
    ]
    assert len({response_id(*variant) for variant in variants} | {key}) == 6
    assert response_id(*base, origin="existing") != key


def test_samples_wanted_is_the_one_rule():
    plan = SamplingPlan(samples_per_round=2, max_attempts=5)
    nothing = VerdictSignal()
    assert samples_wanted("p", False, nothing, 0, plan) == 2
    assert samples_wanted("p", True, nothing, 0, plan) == 0  # an existing trace stands until verification says no
    assert samples_wanted("p", True, VerdictSignal(trace_rejected={"p"}), 0, plan) == 2
    assert samples_wanted("p", False, VerdictSignal(accepted={"p"}), 0, plan) == 0
    rejected = VerdictSignal()
    rejected.rejected["p"] = 2
    assert samples_wanted("p", False, rejected, 0, plan) == 4
    assert samples_wanted("p", False, rejected, 2, plan) == 5  # capped at max_attempts


def test_backoff_grows_exponentially_with_jitter_and_never_fires_at_once():
    policy = RetryPolicy(request_attempts=8, initial_backoff_s=1.0, max_backoff_s=10.0)
    rng = random.Random(7)
    for attempt, step in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 10.0), (7, 10.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(200)]
        assert step / 2 <= min(delays) and max(delays) <= step
        assert max(delays) - min(delays) > step / 4  # jittered, not a fixed wait


def test_retry_after_is_obeyed_up_to_a_cap():
    policy = RetryPolicy(max_retry_after_s=30.0)
    assert 5.0 <= policy.delay(1, 5.0) <= 5.5
    assert 30.0 <= policy.delay(1, 3600.0) <= 33.0


def test_parse_retry_after_forms():
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 18 <= (parse_retry_after({"retry-after": date}) or 0) <= 21
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


@pytest.mark.parametrize(
    "status,error_class,retryable",
    [
        (429, "rate_limited", True),
        (500, "server_error", True),
        (503, "server_error", True),
        (408, "server_error", True),
        (400, "client_error", False),
        (413, "client_error", False),
        (401, "config_error", False),
        (404, "config_error", False),
    ],
)
def test_status_classification(status, error_class, retryable):
    error = status_error(status, "x", {})
    assert (error.error_class, error.retryable) == (error_class, retryable)


@pytest.mark.parametrize(
    "error_class,error,transient",
    [
        ("server_error", "HTTP 503: busy", True),
        ("config_error", "HTTP 401: bad key", True),
        ("engine_error", "EngineDeadError: EngineCore encountered an issue", True),
        ("client_error", "HTTP 400: prompt too long", False),
        # rows of the in-process backend before engine failures had a class of their own
        ("generation_error", "RuntimeError: CUDA error: an illegal memory access was encountered", True),
        ("generation_error", "ValueError: The decoder prompt is longer than the maximum model length", False),
        ("generation_error", "TemplateError: Conversation roles must alternate user/assistant", False),
    ],
)
def test_which_failures_are_transient(error_class, error, transient):
    assert is_transient(error_class, error) is transient


def test_prompts_follow_the_paper_and_their_version_tracks_every_change():
    builder = PromptBuilder()
    system, user = builder.messages("math", "What is 1+1?")
    assert system == {"role": "system", "content": PAPER_SYSTEM_PROMPT}
    assert user["content"].startswith("What is 1+1?") and "\\boxed{}" in user["content"]
    (merged,) = PromptBuilder(system_in_user=True).messages("general", "Hi")
    assert merged["content"] == f"{PAPER_SYSTEM_PROMPT}\n\nHi"
    code = builder.user_text("code", "Sum two ints.", '{"kind": "stdio", "language": "python", "cases": []}')
    assert "```python" in code and "single fenced code block" in code
    assert builder.user_text("unknown-category", "as is") == "as is"
    versions = {
        builder.version,
        PromptBuilder(system_prompt="").version,
        PromptBuilder(system_in_user=True).version,
        PromptBuilder.with_overrides(PAPER_SYSTEM_PROMPT, {"math": "{prompt}"}, False).version,
    }
    assert len(versions) == 4
    assert PromptBuilder.with_overrides(PAPER_SYSTEM_PROMPT, {}, False).version == builder.version
