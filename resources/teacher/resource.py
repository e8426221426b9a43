"""The teacher as a Dagster resource: one configuration, three modes (none, openai-compatible servers, vllm)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal, get_args

from dagster import ConfigurableResource
from pydantic import Field

from resources.teacher.base import Teacher, TeacherBackendUnavailable
from resources.teacher.openai_backend import OpenAICompatibleTeacher
from resources.teacher.records import SamplingParams
from resources.teacher.retry import RetryPolicy
from resources.teacher.transports import ChatTransport, NativeChat, SdkChat
from resources.teacher.vllm_backend import VLLMTeacher

TeacherBackend = Literal["none", "openai", "vllm"]
TeacherClient = Literal["native", "openai"]
BACKENDS: tuple[TeacherBackend, ...] = get_args(TeacherBackend)
CLIENTS: tuple[TeacherClient, ...] = get_args(TeacherClient)


class TeacherResource(ConfigurableResource):
    """Where teacher responses come from. `backend="none"` (the default) means no teacher: generation is skipped."""

    backend: TeacherBackend = Field(
        default="none", description="none | openai (OpenAI-compatible servers) | vllm (in-process)."
    )
    model: str = Field(default="deepseek-ai/DeepSeek-R1", description="Model name sent to the server / loaded by vLLM.")
    base_urls: str = Field(
        default="",
        description="openai backend: comma-separated base URLs (e.g. http://gpu1:8000/v1,http://gpu2:8000/v1); "
        "requests are spread over them and a retry moves to the next one.",
    )
    api_key_env: str = Field(
        default="AMD_TEACHER_API_KEY",
        description="Name of the environment variable holding the API key (never the key itself); unset = no key.",
    )
    client: TeacherClient = Field(
        default="native",
        description="openai backend transport: native (lean HTTP/1.1 client, ≥1k requests/s) | openai (the SDK).",
    )
    max_concurrency: int = Field(default=64, description="Requests in flight at once, over all servers.")
    request_timeout_s: float = Field(
        default=1800.0, description="Deadline for one attempt; 32k-token reasoning takes minutes."
    )
    connect_timeout_s: float = Field(default=10.0)
    request_attempts: int = Field(
        default=6, description="Attempts per request (first try included); vllm: per engine batch."
    )
    initial_backoff_s: float = Field(default=1.0, description="First retry waits 0.5-1x this, doubling after.")
    max_backoff_s: float = Field(default=60.0)
    max_retry_after_s: float = Field(default=600.0, description="Cap on a server's Retry-After.")
    temperature: float = Field(default=0.6)
    top_p: float = Field(default=0.95)
    max_tokens: int = Field(default=32_768)
    tensor_parallel_size: int = Field(default=1, description="vllm backend: GPUs per model replica.")
    max_model_len: int | None = Field(default=None, description="vllm backend: context length (prompt + output).")
    gpu_memory_utilization: float = Field(default=0.9, description="vllm backend.")
    vllm_batch_size: int = Field(default=512, description="vllm backend: prompts per engine call.")

    @property
    def configured(self) -> bool:
        return self.backend != "none"

    def sampling(self) -> SamplingParams:
        return SamplingParams(temperature=self.temperature, top_p=self.top_p, max_tokens=self.max_tokens)

    def urls(self) -> list[str]:
        return [url.strip() for url in self.base_urls.replace("\n", ",").split(",") if url.strip()]

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.request_attempts, self.initial_backoff_s, self.max_backoff_s, self.max_retry_after_s)

    def describe(self) -> dict[str, Any]:
        """What the run used, for materialization metadata (no secrets: the key is named, not shown)."""
        if not self.configured:
            return {"backend": "none"}
        shown: dict[str, Any] = {"backend": self.backend, "model": self.model, **self.sampling().as_dict()}
        if self.backend == "openai":
            shown |= {"base_urls": self.urls(), "client": self.client, "max_concurrency": self.max_concurrency}
        else:
            shown |= {"tensor_parallel_size": self.tensor_parallel_size, "vllm_batch_size": self.vllm_batch_size}
        return shown

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Teacher]:
        """The configured backend, bound to the running event loop; closed on exit."""
        teacher = self._build()
        try:
            yield teacher
        finally:
            await teacher.aclose()

    def check_settings(self) -> None:
        """Bounds are checked here, not as pydantic constraints: those reject `EnvVar.int(...)` fields."""
        positive = {
            "max_concurrency": self.max_concurrency,
            "request_attempts": self.request_attempts,
            "max_tokens": self.max_tokens,
            "request_timeout_s": self.request_timeout_s,
            "connect_timeout_s": self.connect_timeout_s,
            "tensor_parallel_size": self.tensor_parallel_size,
            "vllm_batch_size": self.vllm_batch_size,
        }
        bad = [f"{name}={value}" for name, value in positive.items() if value <= 0]
        if self.temperature < 0 or not 0 < self.top_p <= 1 or not 0 < self.gpu_memory_utilization <= 1:
            bad.append(f"temperature={self.temperature}, top_p={self.top_p} or gpu_memory_utilization out of range")
        if min(self.initial_backoff_s, self.max_backoff_s, self.max_retry_after_s) < 0:
            bad.append("negative backoff")
        if bad:
            raise ValueError(f"invalid teacher settings: {'; '.join(bad)}")

    def _build(self) -> Teacher:
        self.check_settings()
        if self.backend == "none":
            raise TeacherBackendUnavailable("no teacher configured (backend 'none')")
        if self.backend == "vllm":
            engine_args: dict[str, Any] = {
                "tensor_parallel_size": self.tensor_parallel_size,
                "gpu_memory_utilization": self.gpu_memory_utilization,
            }
            if self.max_model_len is not None:
                engine_args["max_model_len"] = self.max_model_len
            return VLLMTeacher.load(
                self.model, self.sampling(), self.vllm_batch_size, self.retry_policy(), **engine_args
            )
        urls = self.urls()
        if not urls:
            raise TeacherBackendUnavailable("teacher backend 'openai' needs base_urls (comma-separated)")
        api_key = os.environ.get(self.api_key_env) if self.api_key_env else None
        # Each server may receive every in-flight request (the others down): size each pool for all of them.
        transports: list[ChatTransport] = [
            NativeChat(url, api_key, self.max_concurrency, self.connect_timeout_s)
            if self.client == "native"
            else SdkChat(url, api_key, self.max_concurrency, self.connect_timeout_s, self.request_timeout_s)
            for url in urls
        ]
        return OpenAICompatibleTeacher(
            transports,
            self.model,
            self.sampling(),
            self.retry_policy(),
            self.max_concurrency,
            self.request_timeout_s,
        )
