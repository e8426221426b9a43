"""Text embeddings for semantic dedup and decontamination: the embedded WordLlama or an OpenAI-compatible endpoint.

Heavy libraries (numpy, safetensors, tokenizers) load when a model is opened, never at import.
"""

from resources.embeddings.base import Embedder, model_key
from resources.embeddings.resource import EmbeddingResource
from resources.embeddings.thresholds import CALIBRATED, Thresholds, UncalibratedModelError, threshold_for

__all__ = [
    "CALIBRATED",
    "Embedder",
    "EmbeddingResource",
    "Thresholds",
    "UncalibratedModelError",
    "model_key",
    "threshold_for",
]
