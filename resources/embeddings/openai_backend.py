"""Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint (`vllm serve BAAI/bge-m3 --task embed`,
Qwen3-Embedding, TEI, hosted APIs), over the teacher's HTTP stack: its keep-alive HTTP/1.1 pool, its error
classes and its retry policy (Retry-After obeyed, exponential backoff with jitter, failover to the next URL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from resources.embeddings.base import model_key, unit_rows
from resources.teacher.http11 import Http11Pool, ProtocolError
from resources.teacher.retry import (
    CONFIG_ERROR,
    CONNECTION,
    MALFORMED,
    TIMEOUT,
    RetryPolicy,
    TeacherCallError,
    status_error,
)
from resources.teacher.transports import decode_json

if TYPE_CHECKING:
    import numpy as np


class EmbeddingError(RuntimeError):
    """A batch could not be embedded after every allowed attempt (or the endpoint is misconfigured)."""


@dataclass(frozen=True)
class EndpointSettings:
    base_urls: list[str]
    model: str
    api_key: str | None
    batch_size: int
    max_concurrency: int
    request_timeout_s: float
    connect_timeout_s: float
    policy: RetryPolicy


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0


class OpenAIEmbedder:
    backend = "openai"

    def __init__(self, settings: EndpointSettings, dim: int | None = None):
        if not settings.base_urls:
            raise EmbeddingError("the openai embedding backend needs base URLs (AMD_EMBEDDING_BASE_URLS)")
        self.settings = settings
        self.stats = CallStats()
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "amd-embed"}
        if settings.api_key:
            self._headers["Authorization"] = f"Bearer {settings.api_key}"
        self.dim = dim or 0
        if not self.dim:  # learn the dimension once: it is part of every stored vector's key
            self.dim = len(self.embed(["dimension probe"])[0])
        self.key = model_key(self.backend, settings.model, self.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = asyncio.run(self._embed_all(list(texts)))
        return unit_rows(np.asarray(rows, dtype=np.float32).reshape(len(texts), -1))

    async def _embed_all(self, texts: list[str]) -> list[list[float]]:
        s = self.settings
        pools = [Http11Pool(url, s.max_concurrency, s.connect_timeout_s) for url in s.base_urls]
        slots = asyncio.Semaphore(s.max_concurrency)
        batches = [texts[start : start + s.batch_size] for start in range(0, len(texts), s.batch_size)]

        async def one(number: int, batch: list[str]) -> list[list[float]]:
            async with slots:
                return await self._attempts(pools, number, batch)

        try:
            results = await asyncio.gather(*(one(number, batch) for number, batch in enumerate(batches)))
        finally:
            for pool in pools:
                pool.close()
        return [row for result in results for row in result]

    async def _attempts(self, pools: list[Http11Pool], number: int, batch: list[str]) -> list[list[float]]:
        """One batch; a retry moves to the next URL. Raises EmbeddingError when attempts run out."""
        attempt = 0
        while True:
            attempt += 1
            pool = pools[(number + attempt - 1) % len(pools)]
            self.stats.requests += 1
            try:
                async with asyncio.timeout(self.settings.request_timeout_s):
                    return self._vectors(await self._post(pool, batch), len(batch))
            except TimeoutError:
                error = TeacherCallError(TIMEOUT, f"no answer within {self.settings.request_timeout_s:g}s")
            except TeacherCallError as call_error:
                error = call_error
            if not error.retryable or attempt >= self.settings.policy.request_attempts:
                raise EmbeddingError(
                    f"embedding {len(batch)} texts at {pool.base_url} failed after {attempt} attempt(s): "
                    f"{error.error_class}: {error.describe()}"
                )
            self.stats.retries += 1
            await asyncio.sleep(self.settings.policy.delay(attempt, error.retry_after))

    async def _post(self, pool: Http11Pool, batch: list[str]) -> dict[str, Any]:
        body = orjson.dumps({"model": self.settings.model, "input": batch, "encoding_format": "float"})
        try:
            reply = await pool.post("/embeddings", body, self._headers)
        except ProtocolError as error:
            raise TeacherCallError(MALFORMED, str(error)) from error
        except (OSError, EOFError) as error:
            raise TeacherCallError(CONNECTION, f"{type(error).__name__}: {error}") from error
        if reply.status >= 400:
            raise status_error(reply.status, reply.body[:300].decode("utf-8", "replace"), reply.headers)
        return decode_json(reply.body)

    def _vectors(self, payload: dict[str, Any], expected: int) -> list[list[float]]:
        data = payload.get("data")
        if not isinstance(data, list) or len(data) != expected:
            got = len(data) if isinstance(data, list) else "no"
            raise TeacherCallError(MALFORMED, f"{got} embeddings returned for {expected} inputs")
        try:
            ordered = [item["embedding"] for item in sorted(data, key=lambda item: item["index"])]
        except (KeyError, TypeError) as error:
            raise TeacherCallError(MALFORMED, f"embedding item without index/embedding: {error}") from error
        widths = {len(vector) if isinstance(vector, list) else -1 for vector in ordered}
        if self.dim and widths != {self.dim}:
            raise TeacherCallError(CONFIG_ERROR, f"embedding widths {sorted(widths)}, expected dim {self.dim}")
        return ordered
