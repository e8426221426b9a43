"""Text embeddings for semantic dedup and decontamination: the embedded WordLlama or an OpenAI-compatible endpoint.

Heavy libraries (numpy, safetensors, tokenizers) load when a model is opened, never at import.
"""

from resources.embeddings.base import Embedder, model_key
from resources.embeddings.resource import EmbeddingResource
from resources.embeddings.thresholds import (
    CALIBRATED,
    DedupCosines,
    Thresholds,
    UncalibratedModelError,
    dedup_cosines_for,
    threshold_for,
)

__all__ = [
    "CALIBRATED",
    "DedupCosines",
    "Embedder",
    "EmbeddingResource",
    "Thresholds",
    "UncalibratedModelError",
    "dedup_cosines_for",
    "model_key",
    "threshold_for",
]
