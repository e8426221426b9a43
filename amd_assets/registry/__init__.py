"""The source registry (`sources.yaml`): which datasets come in and how their fields map."""

from amd_assets.registry.load import (
    REPO_ROOT,
    RegistryError,
    SourceFileError,
    SourceRegistry,
    default_registry_path,
    load_registry,
)
from amd_assets.registry.model import CATEGORIES, DIFFICULTIES, SourceSpec

__all__ = [
    "CATEGORIES",
    "DIFFICULTIES",
    "REPO_ROOT",
    "RegistryError",
    "SourceFileError",
    "SourceRegistry",
    "SourceSpec",
    "default_registry_path",
    "load_registry",
]
