"""The decontamination benchmark registry (`benchmarks.yaml`): which evaluation sets no training row may overlap."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amd_assets.records import MISSING, as_text, get_path
from amd_assets.registry.load import REPO_ROOT, RegistryError, SourceFileError


class EmbeddingCheck(BaseModel):
    """Semantic decontamination: problems whose embedding is this close to a benchmark item's are removed. The model
    is the `embedder` resource's (the one semantic dedup uses); `threshold` None = its calibrated value."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True
    threshold: float | None = Field(default=None, gt=0, le=1)


class BenchmarkSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    path: str
    id: str | list[str]
    text: list[str] = Field(min_length=1, description="Fields compared with the training prompts, joined by a space.")
    licence: str
    enabled: bool = Field(default=True, description="Registered but switched off: its rows are not checked.")
    notes: str = ""


@dataclass(frozen=True)
class BenchmarkItem:
    benchmark: str
    item_id: str
    text: str


@dataclass(frozen=True)
class BenchmarkRegistry:
    path: Path
    ngram_size: int
    embedding: EmbeddingCheck
    benchmarks: dict[str, BenchmarkSpec]

    def files(self, name: str) -> list[Path]:
        spec = self.benchmarks[name]
        pattern = spec.path if os.path.isabs(spec.path) else str(self.path.parent / spec.path)
        matches = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
        if not matches:
            raise SourceFileError(f"benchmark {name!r}: no file matches {spec.path!r} (looked for {pattern})")
        return matches

    def items(self) -> Iterator[BenchmarkItem]:
        """Every item of every benchmark; a malformed benchmark line fails loudly (the set must be complete)."""
        for name, spec in self.benchmarks.items():
            if not spec.enabled:
                continue
            ids = [spec.id] if isinstance(spec.id, str) else spec.id
            for file in self.files(name):
                for number, line in enumerate(file.read_bytes().splitlines(), 1):
                    if not line.strip():
                        continue
                    try:
                        record = orjson.loads(line)
                    except orjson.JSONDecodeError as error:
                        raise SourceFileError(f"{file}:{number}: benchmark line is not valid JSON: {error}") from None
                    values = [get_path(record, path) for path in ids]
                    if any(value is MISSING or value is None for value in values):
                        raise SourceFileError(f"{file}:{number}: benchmark item lacks its id field(s) {ids}")
                    parts = [get_path(record, path) for path in spec.text]
                    text = " ".join(as_text(part) for part in parts if part is not MISSING and part is not None)
                    yield BenchmarkItem(name, "/".join(str(v) for v in values), text)


def default_benchmarks_path() -> Path:
    return Path(os.environ.get("AMD_BENCHMARKS", REPO_ROOT / "benchmarks.yaml"))


def load_benchmarks(path: Path | str | None = None) -> BenchmarkRegistry:
    registry_path = Path(path) if path is not None else default_benchmarks_path()
    try:
        document = yaml.safe_load(registry_path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RegistryError(f"{registry_path}: cannot read the benchmark registry: {error}") from error
    entries = document.get("benchmarks") or {}
    if not isinstance(entries, dict):
        raise RegistryError(f"{registry_path}: expected 'benchmarks: {{name: {{...}}}}'")
    problems: list[str] = []
    benchmarks: dict[str, BenchmarkSpec] = {}
    for name, entry in entries.items():
        try:
            benchmarks[str(name)] = BenchmarkSpec.model_validate({"name": str(name), **(entry or {})})
        except ValidationError as error:
            problems += [
                f"benchmark {name!r}: field {'.'.join(map(str, e['loc']))!r}: {e['msg']}" for e in error.errors()
            ]
    try:
        embedding = EmbeddingCheck.model_validate(document.get("embedding") or {})
        ngram_size = int(document.get("ngram_size", 13))
    except (ValidationError, TypeError, ValueError) as error:
        problems.append(f"settings: {error}")
        embedding, ngram_size = EmbeddingCheck(), 13
    if ngram_size < 1:
        problems.append("ngram_size must be at least 1")
    if problems:
        raise RegistryError(f"{registry_path}: invalid benchmark registry:\n  " + "\n  ".join(problems))
    return BenchmarkRegistry(registry_path.resolve(), ngram_size, embedding, benchmarks)
