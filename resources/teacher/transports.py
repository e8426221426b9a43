"""POST a chat completion to one OpenAI-compatible server and return its JSON, or a classified error.

Two interchangeable transports: `native` (the lean HTTP/1.1 client, default) and `openai` (the official SDK,
for servers behind proxies or needing the SDK's auth handling). Retries, timeouts and failover live above them in
the backend, so both behave identically under faults; the SDK's own retries are turned off.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import orjson

from resources.teacher.http11 import Http11Pool, ProtocolError
from resources.teacher.retry import CONNECTION, MALFORMED, TIMEOUT, TeacherCallError, status_error

# httpx2's pool scans all its connections on every request; small pools keep that scan short.
SDK_CONNECTIONS_PER_CLIENT = 32


class ChatTransport(Protocol):
    endpoint: str

    async def chat(self, body: dict[str, Any], request_id: str) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def decode_json(raw: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise TeacherCallError(MALFORMED, f"response is not JSON ({error}): {raw[:120]!r}") from error
    if not isinstance(payload, dict):
        raise TeacherCallError(MALFORMED, f"response is not a JSON object: {raw[:120]!r}")
    return payload


def _error_text(raw: bytes) -> str:
    try:
        payload = orjson.loads(raw)
        message = payload.get("error", {}).get("message") if isinstance(payload, dict) else None
    except (orjson.JSONDecodeError, AttributeError):
        message = None
    return str(message or raw[:300].decode("utf-8", "replace"))


class NativeChat:
    def __init__(self, base_url: str, api_key: str | None, max_connections: int, connect_timeout_s: float):
        self.endpoint = base_url
        self._pool = Http11Pool(base_url, max_connections, connect_timeout_s)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "amd-teacher"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"

    async def chat(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        try:
            reply = await self._pool.post(
                "/chat/completions", orjson.dumps(body), {**self._headers, "X-Request-Id": request_id}
            )
        except ProtocolError as error:
            raise TeacherCallError(MALFORMED, str(error)) from error
        except (OSError, EOFError) as error:  # refused, reset, cut mid-response (IncompleteReadError is an EOFError)
            raise TeacherCallError(CONNECTION, f"{type(error).__name__}: {error}") from error
        if reply.status >= 400:
            raise status_error(reply.status, _error_text(reply.body), reply.headers)
        return decode_json(reply.body)

    async def aclose(self) -> None:
        self._pool.close()


class SdkChat:
    """The `openai` package's AsyncOpenAI, several clients per server so each connection pool stays small."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        max_connections: int,
        connect_timeout_s: float,
        request_timeout_s: float,
    ):
        import httpx2
        import openai

        self.endpoint = base_url
        self._openai = openai
        shards = max(1, math.ceil(max_connections / SDK_CONNECTIONS_PER_CLIENT))
        per_shard = math.ceil(max_connections / shards)
        # The backend's own deadline governs; the SDK's is a little later so it never fires first.
        timeout = httpx2.Timeout(request_timeout_s + 5, connect=connect_timeout_s)
        self._clients = [
            openai.AsyncOpenAI(
                base_url=base_url,
                api_key=api_key or "EMPTY",  # vllm serve without --api-key accepts anything
                max_retries=0,
                timeout=timeout,
                http_client=openai.DefaultAsyncHttpxClient(
                    limits=httpx2.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
                    timeout=timeout,
                ),
            )
            for _ in range(shards)
        ]
        self._next = 0

    async def chat(self, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        openai = self._openai
        self._next = (self._next + 1) % len(self._clients)
        client = self._clients[self._next]
        try:
            raw = await client.chat.completions.with_raw_response.create(
                **body, extra_headers={"X-Request-Id": request_id}
            )
        except openai.APITimeoutError as error:
            raise TeacherCallError(TIMEOUT, "the SDK timed out") from error
        except openai.APIConnectionError as error:
            raise TeacherCallError(CONNECTION, f"{type(error.__cause__ or error).__name__}: {error}") from error
        except openai.APIStatusError as error:
            raise status_error(error.status_code, error.message, dict(error.response.headers)) from error
        return decode_json(raw.http_response.content)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()
