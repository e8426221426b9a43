"""Load and validate `sources.yaml`; errors name the registry file, the source and the field."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from amd_assets.registry.model import SourceSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPRESSIONS = (".gz", ".zst")
FORMAT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet", ".csv": "csv"}


class RegistryError(ValueError):
    """The registry file is unreadable or an entry is invalid."""


class SourceFileError(RuntimeError):
    """A registered source's files are missing or cannot be read."""


def default_registry_path() -> Path:
    return Path(os.environ.get("AMD_SOURCES", REPO_ROOT / "sources.yaml"))


def sniff_format(file_name: str) -> tuple[str | None, str | None]:
    """(format, compression) from a file name, e.g. `x.jsonl.zst` → ("jsonl", "zst"); format None if unknown."""
    name = file_name.lower()
    compression = None
    for suffix in COMPRESSIONS:
        if name.endswith(suffix):
            compression, name = suffix[1:], name[: -len(suffix)]
    fmt = next((fmt for suffix, fmt in FORMAT_SUFFIXES.items() if name.endswith(suffix)), None)
    return fmt, compression


@dataclass(frozen=True)
class SourceRegistry:
    path: Path
    sources: dict[str, SourceSpec]

    @property
    def names(self) -> list[str]:
        return list(self.sources)

    def get(self, name: str) -> SourceSpec:
        try:
            return self.sources[name]
        except KeyError:
            raise RegistryError(f"{self.path}: no source named {name!r} (known: {self.names})") from None

    def display_path(self, file: Path) -> str:
        """The path recorded in lineage columns: relative to the registry folder when inside it."""
        try:
            return file.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return file.resolve().as_posix()

    def files(self, name: str) -> list[Path]:
        spec = self.get(name)
        pattern = spec.path if os.path.isabs(spec.path) else str(self.path.parent / spec.path)
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not matches:
            raise SourceFileError(f"source {name!r}: no file matches {spec.path!r} (looked for {pattern})")
        return matches

    def file_format(self, name: str, file: Path) -> tuple[str, str | None]:
        sniffed, compression = sniff_format(file.name)
        fmt = self.get(name).format or sniffed
        if fmt is None:
            raise SourceFileError(f"{file}: cannot tell the format from the name; set 'format' for {name!r}")
        return fmt, compression


def load_registry(path: Path | str | None = None) -> SourceRegistry:
    registry_path = Path(path) if path is not None else default_registry_path()
    try:
        document = yaml.safe_load(registry_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RegistryError(f"{registry_path}: cannot read the source registry: {error}") from error
    except yaml.YAMLError as error:
        raise RegistryError(f"{registry_path}: not valid YAML: {error}") from error
    entries = (document or {}).get("sources") if isinstance(document, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise RegistryError(f"{registry_path}: expected a non-empty mapping 'sources: {{name: {{...}}}}'")
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise RegistryError(f"{registry_path}: 'defaults' must be a mapping of settings shared by every source")
    sources: dict[str, SourceSpec] = {}
    problems: list[str] = []
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            problems.append(f"source {name!r}: expected a mapping of settings, got {type(entry).__name__}")
            continue
        try:
            sources[str(name)] = SourceSpec.model_validate({"name": str(name), **with_defaults(defaults, entry)})
        except ValidationError as error:
            problems.extend(_describe(str(name), error))
    if problems:
        raise RegistryError(f"{registry_path}: invalid source registry:\n  " + "\n  ".join(problems))
    return SourceRegistry(path=registry_path.resolve(), sources=sources)


def with_defaults(defaults: dict[str, object], entry: dict[str, object]) -> dict[str, object]:
    """The entry over the shared defaults; mappings (e.g. `filters`) merge one level deep."""
    merged = dict(defaults)
    for key, value in entry.items():
        base = merged.get(key)
        merged[key] = {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
    return merged


def _describe(name: str, error: ValidationError) -> list[str]:
    lines = []
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"] if not str(part).startswith("function-"))
        field = f"field {location!r}" if location else "entry"
        lines.append(f"source {name!r}: {field}: {problem['msg']}")
    return lines
