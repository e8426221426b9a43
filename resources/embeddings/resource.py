"""The embedding model as a Dagster resource: the embedded WordLlama by default, or an OpenAI-compatible endpoint."""

from __future__ import annotations

import os
from typing import Any, Literal, get_args

from dagster import ConfigurableResource
from pydantic import Field

from resources.embeddings.base import Embedder, model_key
from resources.embeddings.thresholds import DedupCosines, dedup_cosines_for, parse_threshold, threshold_for
from resources.teacher.retry import RetryPolicy

EmbeddingBackend = Literal["wordllama", "openai"]
BACKENDS: tuple[EmbeddingBackend, ...] = get_args(EmbeddingBackend)


class EmbeddingResource(ConfigurableResource):
    """Which model embeds problems and benchmark items for semantic dedup and decontamination."""

    backend: EmbeddingBackend = Field(
        default="wordllama", description="wordllama (embedded, CPU, no download) | openai (endpoint)."
    )
    model: str = Field(
        default="l2_supercat", description="wordllama config shipped in the wheel, or the model name the server serves."
    )
    dim: int = Field(
        default=0, description="Vector width; 0 = the model's own (wordllama 256, openai: as the server returns)."
    )
    base_urls: str = Field(default="", description="openai backend: comma-separated base URLs (…/v1).")
    api_key_env: str = Field(default="AMD_EMBEDDING_API_KEY", description="Name of the env var holding the key.")
    batch_size: int = Field(default=64, description="openai backend: texts per request.")
    max_concurrency: int = Field(default=8, description="openai backend: requests in flight at once.")
    request_timeout_s: float = Field(default=120.0)
    connect_timeout_s: float = Field(default=10.0)
    request_attempts: int = Field(default=6, description="Attempts per batch (first try included).")
    initial_backoff_s: float = Field(default=1.0)
    max_backoff_s: float = Field(default=30.0)
    # Text, not float: an EnvVar can feed it ("" = the calibrated value of the model, resources/embeddings/thresholds).
    dedup_threshold: str = Field(
        default="",
        description="Cosine at which two problems are one (a plain cosine rule); '' = the model's calibrated rule.",
    )
    decontamination_threshold: str = Field(
        default="", description="Cosine to a benchmark item that removes a problem; '' = calibrated."
    )

    def open(self) -> Embedder:
        """Load the model (wordllama) or bind the endpoint (openai, which learns the width with one request)."""
        if self.backend == "wordllama":
            from resources.embeddings.wordllama_backend import WordLlamaEmbedder

            return WordLlamaEmbedder(self.model, self.dim or 256)
        from resources.embeddings.openai_backend import EndpointSettings, OpenAIEmbedder

        settings = EndpointSettings(
            base_urls=[url.strip() for url in self.base_urls.replace("\n", ",").split(",") if url.strip()],
            model=self.model,
            api_key=os.environ.get(self.api_key_env) if self.api_key_env else None,
            batch_size=max(1, self.batch_size),
            max_concurrency=max(1, self.max_concurrency),
            request_timeout_s=self.request_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
            policy=RetryPolicy(max(1, self.request_attempts), self.initial_backoff_s, self.max_backoff_s),
        )
        return OpenAIEmbedder(settings, self.dim)

    def known_key(self) -> str | None:
        """The model key without loading the model or calling the endpoint; None when only the server knows
        the width (openai backend without `dim`)."""
        if self.backend == "wordllama":
            return model_key(self.backend, self.model, self.dim or 256)
        return model_key(self.backend, self.model, self.dim) if self.dim else None

    def threshold(self, key: str, stage: str) -> float:
        """Cosine threshold of `stage` ("dedup" or "decontaminate") for model `key`: configured, else calibrated
        (for dedup, the lowest cosine of its rule)."""
        field = "dedup_threshold" if stage == "dedup" else "decontamination_threshold"
        return threshold_for(key, stage, parse_threshold(getattr(self, field), field))

    def dedup_cosines(self, key: str) -> DedupCosines:
        """The cosines of semantic dedup's pair rule for model `key`: a plain rule at the configured threshold,
        else the model's calibrated rule."""
        return dedup_cosines_for(key, parse_threshold(self.dedup_threshold, "dedup_threshold"))

    def describe(self) -> dict[str, Any]:
        """For materialization metadata (the key is named, never shown)."""
        shown: dict[str, Any] = {"backend": self.backend, "model": self.model, "dim": self.dim}
        if self.backend == "openai":
            shown |= {
                "base_urls": self.base_urls,
                "batch_size": self.batch_size,
                "max_concurrency": self.max_concurrency,
            }
        return shown
