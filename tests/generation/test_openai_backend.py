"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 that injects faults on command.

Every fault test runs through both transports (the native client and the `openai` SDK): retries, timeouts and
failover live above the transport, so both must behave the same.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from fake_openai_server import FakeOpenAIServer
from generation_support import make_teacher

from resources.teacher import TeacherRequest, TeacherResource, TeacherResult

pytest_plugins = ["generation_fixtures"]

CLIENTS = ["native", "openai"]


def ask(teacher: TeacherResource, *prompts: str) -> list[TeacherResult]:
    async def go() -> list[TeacherResult]:
        async with teacher.open() as client:
            requests = [TeacherRequest(f"key{i}", [{"role": "user", "content": p}]) for i, p in enumerate(prompts)]
            return list(await asyncio.gather(*(client.complete_one(r) for r in requests)))  # type: ignore[attr-defined]

    return asyncio.run(go())


def logged(server: FakeOpenAIServer, marker: str) -> list[Any]:
    return [entry for entry in server.log if marker in entry.prompt]


@pytest.mark.parametrize("client", CLIENTS)
def test_transient_faults_are_retried_until_an_answer(server, client):
    server.script("alpha", "500", "503", "cut", "malformed")
    (result,) = ask(make_teacher(server, client=client, request_attempts=5), "alpha question")

    assert result.status == "ok" and result.attempts == 5
    assert result.answer and result.think and result.split_method == "tags"
    assert [entry.fault for entry in logged(server, "alpha")] == ["500", "503", "cut", "malformed", "ok"]
    assert result.prompt_tokens == 2 and result.completion_tokens == 7 and result.served_model
    # each attempt carries the response id, so server logs can be joined to our rows
    assert [entry.request_id for entry in logged(server, "alpha")] == [f"key0-{n}" for n in range(1, 6)]


@pytest.mark.parametrize("client", CLIENTS)
def test_retry_after_is_honoured(server, client):
    server.script("beta", "429:1")
    (result,) = ask(make_teacher(server, client=client), "beta question")

    first, second = logged(server, "beta")
    assert result.status == "ok" and result.attempts == 2
    # the backoff alone would wait ~0.01 s: the gap comes from the server's Retry-After: 1
    assert 1.0 <= second.at - first.at < 1.5


@pytest.mark.parametrize("client", CLIENTS)
def test_slow_answer_past_the_timeout_is_abandoned_and_retried(server, client):
    server.script("gamma", "slow:3")
    (result,) = ask(make_teacher(server, client=client, request_timeout_s=0.3), "gamma question")

    assert result.status == "ok" and result.attempts == 2
    assert [entry.fault for entry in logged(server, "gamma")] == ["slow", "ok"]


@pytest.mark.parametrize("client", CLIENTS)
def test_permanent_failures_come_back_as_results_not_exceptions(server, client):
    server.script("down", *["500"] * 10)
    server.script("bad", "400")
    server.script("slowly", *["slow:3"] * 10)
    teacher = make_teacher(server, client=client, request_attempts=3, request_timeout_s=0.2)
    down, bad, slowly, fine = ask(teacher, "down question", "bad question", "slowly question", "fine question")

    assert (down.status, down.error_class, down.attempts, down.retryable) == ("failed", "server_error", 3, True)
    assert "HTTP 500" in (down.error or "") and down.text is None
    # a request the server rejects as invalid is not worth a second attempt
    assert (bad.status, bad.error_class, bad.attempts, bad.retryable) == ("failed", "client_error", 1, False)
    assert (slowly.status, slowly.error_class, slowly.attempts) == ("failed", "timeout", 3)
    assert fine.status == "ok"
    assert len(logged(server, "down")) == 3 and len(logged(server, "bad")) == 1


@pytest.mark.parametrize("client", CLIENTS)
def test_length_is_truncated_and_reasoning_field_is_the_think_part(server, client):
    server.script("long", "length")
    server.script("parsed", "reasoning")
    long, parsed = ask(make_teacher(server, client=client), "long question", "parsed question")

    assert (long.status, long.finish_reason, long.truncated) == ("truncated", "length", True)
    assert long.answer is None and long.text and long.text.startswith("<think>")
    assert parsed.status == "ok" and parsed.split_method == "reasoning_field"
    assert parsed.think and parsed.think.startswith("reasoning about") and parsed.answer == parsed.text


def test_requests_fail_over_to_the_next_server(server):
    with FakeOpenAIServer() as broken:
        broken.set_default("500")
        teacher = make_teacher(server, base_urls=f"{broken.url},{server.url}", request_attempts=2)
        results = ask(teacher, *[f"spread {i}" for i in range(6)])

    assert all(r.status == "ok" for r in results)
    assert {r.endpoint for r in results} == {server.url}
    # requests start on alternating servers: half went to the broken one first and were retried on the other
    assert len(broken.log) == 3 and len(server.log) == 6
    assert sorted(r.attempts for r in results) == [1, 1, 1, 2, 2, 2]


def test_a_server_that_is_not_there_is_a_connection_failure():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    teacher = TeacherResource(
        backend="openai", base_urls=f"http://127.0.0.1:{port}/v1", request_attempts=2, initial_backoff_s=0
    )
    (result,) = ask(teacher, "anyone there?")
    assert (result.status, result.error_class, result.attempts) == ("failed", "connection", 2)


def test_concurrency_limit_and_api_key_from_the_named_env_var(server, monkeypatch):
    monkeypatch.setenv("AMD_TEST_TEACHER_KEY", "sk-local-test")
    server.state.latency = 0.05
    teacher = make_teacher(server, max_concurrency=3, api_key_env="AMD_TEST_TEACHER_KEY")
    results = ask(teacher, *[f"many {i}" for i in range(12)])

    assert all(r.status == "ok" for r in results)
    assert server.state.peak == 3
    assert {entry.authorization for entry in server.log} == {"Bearer sk-local-test"}
    assert "sk-local-test" not in str(teacher.describe())


def test_no_key_configured_sends_no_authorization(server, monkeypatch):
    monkeypatch.delenv("AMD_TEACHER_API_KEY", raising=False)
    ask(make_teacher(server), "keyless")
    assert server.log[0].authorization is None


def test_request_body_carries_model_and_sampling(server):
    ask(make_teacher(server, temperature=0.6, top_p=0.95, max_tokens=32_768), "sampling")
    body = server.log[0].body
    assert body["model"] == "deepseek-ai/DeepSeek-R1"
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.6, 0.95, 32_768)
    assert body["messages"] == [{"role": "user", "content": "sampling"}]


def test_native_client_reads_chunked_and_close_delimited_bodies():
    """vllm serve sends Content-Length; proxies in front of hosted APIs often send chunked or close-delimited."""
    from resources.teacher.http11 import Http11Pool

    bodies = [
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n: 1\r\n1\r\n}\r\n0\r\n\r\n',
        b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"a": 2}',
    ]

    async def go() -> list[tuple[int, bytes]]:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for body in bodies:
                await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(2)
                writer.write(body)
                await writer.drain()
                if b"close" in body:
                    writer.close()
                    return

        listener = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        pool = Http11Pool(f"http://127.0.0.1:{port}/v1", max_connections=1)
        replies = [await pool.post("/chat/completions", b"{}", {}) for _ in bodies]
        pool.close()
        listener.close()
        return [(reply.status, reply.body) for reply in replies]

    assert asyncio.run(go()) == [(200, b'{"a": 1}'), (200, b'{"a": 2}')]


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"backend": "openai", "base_urls": "http://127.0.0.1:1/v1", "max_concurrency": 0}, "max_concurrency=0"),
        ({"backend": "openai"}, "needs base_urls"),
    ],
)
def test_bad_settings_fail_loudly_when_the_teacher_is_opened(settings, message):
    async def open_teacher() -> None:
        async with TeacherResource(**settings).open():
            pass

    with pytest.raises((ValueError, RuntimeError), match=message):
        asyncio.run(open_teacher())
