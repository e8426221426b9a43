"""A lean keep-alive HTTP/1.1 client for JSON POSTs to one origin.

Why not the `openai` SDK (kept as the `client: openai` option): on a 2-core machine the SDK spends ~3.7 ms of
CPU per request (request building, httpx2's connection pool scanning every pooled connection per request), so
it tops out near 200 requests/s and degrades as more requests are in flight. This client does one write and a
few reads per request, which keeps the client far from being the bottleneck of a vLLM fleet. It covers what an
OpenAI-compatible server needs: TLS, Content-Length and chunked bodies, keep-alive with expiry.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

_MAX_HEAD = 64 * 1024


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response we can read."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.idle_since = time.monotonic()

    def usable(self, keepalive_s: float) -> bool:
        # A server closing an idle connection shows up as EOF on the reader once the loop has run.
        return (
            not self.reader.at_eof()
            and self.reader.exception() is None
            and not self.writer.is_closing()
            and time.monotonic() - self.idle_since < keepalive_s
        )

    def close(self) -> None:
        self.writer.close()


class Http11Pool:
    """Connections to the origin of `base_url`; request paths are appended to its path (e.g. `/v1`)."""

    def __init__(self, base_url: str, max_connections: int, connect_timeout_s: float = 10.0, keepalive_s: float = 4.0):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.base_url = base_url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.ssl = ssl.create_default_context() if parts.scheme == "https" else None
        default_port = self.port == (443 if self.ssl else 80)
        self.host_header = self.host if default_port else f"{self.host}:{self.port}"
        self.connect_timeout_s = connect_timeout_s
        # uvicorn (vllm serve) drops idle connections after 5 s: reuse only younger ones.
        self.keepalive_s = keepalive_s
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(max_connections)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> HttpReply:
        async with self._slots:
            connection = self._reuse() or await self._connect()
            try:
                reply, reusable = await self._exchange(connection, path, body, headers)
            except BaseException:
                connection.close()
                raise
            if reusable:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return reply

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _reuse(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()  # most recently used first: least likely to have expired
            if connection.usable(self.keepalive_s):
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                self.host, self.port, ssl=self.ssl, server_hostname=self.host if self.ssl else None, limit=_MAX_HEAD
            ),
            self.connect_timeout_s,
        )
        return _Connection(reader, writer)

    async def _exchange(
        self, connection: _Connection, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[HttpReply, bool]:
        head = [f"POST {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}", f"Content-Length: {len(body)}"]
        head.extend(f"{name}: {value}" for name, value in headers.items())
        connection.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await connection.writer.drain()
        reader = connection.reader
        status_line, reply_headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        reusable = status_line.startswith("HTTP/1.1") and reply_headers.get("connection", "").lower() != "close"
        if "chunked" in reply_headers.get("transfer-encoding", "").lower():
            payload = await _read_chunked(reader)
        elif "content-length" in reply_headers:
            payload = await reader.readexactly(int(reply_headers["content-length"]))
        else:
            payload, reusable = await reader.read(), False
        return HttpReply(int(status_line.split(" ", 2)[1]), reply_headers, payload), reusable


def _parse_head(raw: bytes) -> tuple[str, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    status_line = lines[0]
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return status_line, headers


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError as error:
            raise ProtocolError(f"bad chunk size {size_line[:40]!r}") from error
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
