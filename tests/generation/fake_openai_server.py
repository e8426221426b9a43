"""A real OpenAI-compatible HTTP server on 127.0.0.1 that injects faults on command.

It speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) for the `openai` client, answers
`POST …/chat/completions` at once by default, and logs every request it receives, so tests can count exactly what
the client paid for. Faults are scripted per prompt: the first request whose user message contains a marker takes
the first fault queued for it, the next takes the second, and so on; everything else gets the default behaviour.
Written on asyncio protocols rather than `http.server` so the benchmark can push thousands of requests a second
through it; run as a script (`python fake_openai_server.py --port 0`) it serves from its own process.

Faults: `ok`, `429` (with Retry-After), `500`, `503`, `400`, `slow` (sleeps past the client timeout, then
answers), `cut` (closes the connection without answering), `malformed` (200 with a truncated JSON body),
`length` (finish_reason=length), `reasoning` (the think part in `reasoning_content`, as vLLM's reasoning parser).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}


@dataclass(frozen=True)
class Fault:
    kind: str = "ok"
    retry_after: float | None = None  # seconds, for 429
    delay: float = 0.0  # seconds before answering (slow)


@dataclass
class LoggedRequest:
    at: float
    request_id: str | None
    authorization: str | None
    prompt: str
    model: str
    fault: str
    body: dict[str, Any]


@dataclass
class ServerState:
    default: Fault = field(default_factory=Fault)
    latency: float = 0.0  # added to every answer: lets a test catch a run mid-way
    keep_bodies: bool = True
    scripts: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    log: list[LoggedRequest] = field(default_factory=list)
    served: int = 0
    active: int = 0
    peak: int = 0  # most requests being answered at once
    # The answer text for a prompt (default: a digest of the prompt), e.g. the right answer for an end-to-end run.
    answer: Callable[[str], str] | None = None


def parse_fault(spec: str) -> Fault:
    """`429:1.5` → 429 with Retry-After 1.5 s; `slow:3` → answer after 3 s; anything else names the kind."""
    kind, _, arg = spec.partition(":")
    if kind == "429":
        return Fault("429", retry_after=float(arg) if arg else None)
    if kind == "slow":
        return Fault("slow", delay=float(arg or 5))
    return Fault(kind)


def completion_body(
    prompt: str, model: str, fault: str, max_tokens: int, answer_text: str | None = None
) -> dict[str, Any]:
    digest = hashlib.blake2b(prompt.encode(), digest_size=4).hexdigest()
    think, answer = f"reasoning about {digest}", answer_text or f"answer {digest}"
    message: dict[str, Any] = {
        "role": "assistant",
        "content": f"<think>\n{think}\n</think>\n<answer>\n{answer}\n</answer>",
    }
    finish = "stop"
    if fault == "length":
        message["content"], finish = f"<think>\n{think} and on and on", "length"
    elif fault == "reasoning":
        content = f"<answer>\n{answer}\n</answer>" if answer_text else answer
        message = {"role": "assistant", "content": content, "reasoning_content": think}
    completion_tokens = max_tokens if finish == "length" else 7
    return {
        "id": f"chatcmpl-{digest}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": len(prompt.split()),
            "completion_tokens": completion_tokens,
            "total_tokens": len(prompt.split()) + completion_tokens,
        },
    }


def _response(status: int, body: bytes, extra: dict[str, str] | None = None) -> bytes:
    headers = {"content-type": "application/json", "content-length": str(len(body)), **(extra or {})}
    head = f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return head.encode() + b"\r\n" + body


class _Protocol(asyncio.Protocol):
    def __init__(self, state: ServerState):
        self.state = state
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            method, path, _ = head[0].split(" ", 2)
            asyncio.get_running_loop().create_task(self._answer(method, path, headers, body))

    async def _answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> None:
        # Pipelined requests are not used by the client (one request per connection at a time), so answering
        # each as its own task keeps ordering per connection.
        transport = self.transport
        assert transport is not None
        if method != "POST" or not path.rstrip("/").endswith("/chat/completions"):
            transport.write(_response(404, b'{"error": {"message": "not found"}}'))
            return
        request = json.loads(raw)
        prompt = request["messages"][-1]["content"]
        fault = self._fault_for(prompt)
        state = self.state
        state.served += 1
        state.log.append(
            LoggedRequest(
                at=time.monotonic(),
                request_id=headers.get("x-request-id"),
                authorization=headers.get("authorization"),
                prompt=prompt,
                model=request.get("model", ""),
                fault=fault.kind,
                body=request if state.keep_bodies else {},
            )
        )
        delay = state.latency + fault.delay
        state.active += 1
        state.peak = max(state.peak, state.active)
        try:
            if delay:
                await asyncio.sleep(delay)
        finally:
            state.active -= 1
        if transport.is_closing():
            return
        if fault.kind == "cut":
            transport.abort()
            return
        if fault.kind == "429":
            extra = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            transport.write(_response(429, b'{"error": {"message": "rate limited", "type": "rate_limit"}}', extra))
        elif fault.kind in ("500", "503", "400"):
            transport.write(_response(int(fault.kind), b'{"error": {"message": "injected", "type": "server"}}'))
        elif fault.kind == "malformed":
            transport.write(_response(200, b'{"id": "chatcmpl-x", "choices": [{"index": 0, "message": {"conte'))
        else:
            answer = state.answer(prompt) if state.answer else None
            tokens = request.get("max_tokens") or 16
            body = completion_body(prompt, request.get("model", ""), fault.kind, tokens, answer)
            transport.write(_response(200, json.dumps(body).encode()))

    def _fault_for(self, prompt: str) -> Fault:
        for marker, queue in self.state.scripts.items():
            if queue and marker in prompt:
                return queue.popleft()
        return self.state.default


class FakeOpenAIServer:
    """Serves from a daemon thread with its own event loop; `url` is the base URL to give the client."""

    def __init__(self, latency: float = 0.0, keep_bodies: bool = True):
        self.state = ServerState(latency=latency, keep_bodies=keep_bodies)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-openai", daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def log(self) -> list[LoggedRequest]:
        return self.state.log

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(0), self._loop).result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, port: int) -> asyncio.Server:
        return await self._loop.create_server(lambda: _Protocol(self.state), "127.0.0.1", port, backlog=4096)

    def script(self, marker: str, *faults: str) -> None:
        """Requests whose prompt contains `marker` get `faults` in order, then the default."""
        self._loop.call_soon_threadsafe(self.state.scripts[marker].extend, [parse_fault(f) for f in faults])

    def set_default(self, spec: str) -> None:
        self.state.default = parse_fault(spec)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        # Answers still sleeping (slow faults) are abandoned quietly.
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _serve_forever(port: int, latency: float) -> None:
    state = ServerState(latency=latency, keep_bodies=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Protocol(state), "127.0.0.1", port, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the fault-injecting fake OpenAI API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout).")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(_serve_forever(args.port, args.latency))


if __name__ == "__main__":
    main()
