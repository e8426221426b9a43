"""The source registry's schema: one entry of `sources.yaml` describes one source (one Dagster partition).

A *value spec* says where a canonical field comes from in a source row: a dotted path (`doc.problem`,
`messages.0.content`), or a template with `{path}` placeholders, optionally followed by a regex or an
extractor (`last_boxed`) that pulls the value out of longer text.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORIES = ("math", "code", "science", "general")
DIFFICULTIES = ("very easy", "easy", "medium", "hard", "very hard")
FORMATS = ("jsonl", "parquet", "csv")
TEST_KINDS = ("stdio", "assert", "function_call")
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ValueSpec(Strict):
    field: str | None = None
    template: str | None = None
    regex: str | None = Field(default=None, description="The first group (or the group named `value`) is kept.")
    extract: Literal["last_boxed"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_path(cls, value: object) -> object:
        return {"field": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_origin(self) -> ValueSpec:
        if (self.field is None) == (self.template is None):
            raise ValueError("give exactly one of 'field' or 'template'")
        return self

    @field_validator("regex")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            compiled = re.compile(pattern, re.DOTALL | re.MULTILINE)
            if compiled.groups == 0:
                raise ValueError("regex needs a capture group for the value")
        return pattern

    def paths(self) -> list[str]:
        return [self.field] if self.field is not None else PLACEHOLDER.findall(self.template or "")


class LabelSpec(Strict):
    """A label taken from a field and translated by `map`, falling back to `default` when absent."""

    field: str | None = None
    default: str | None = None
    map: dict[str, str | None] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_constant(cls, value: object) -> object:
        return {"default": value} if isinstance(value, str) else value


class TestsSpec(Strict):
    kind: Literal["stdio", "assert", "function_call"]
    field: str = Field(description="Path to the tests: a list, a JSON string, or one code string (assert).")
    language: Literal["python", "cpp"] = "python"
    entry_point: str | None = Field(default=None, description="Path to the entry-point (function) name.")
    setup: str | None = Field(default=None, description="Path to code that runs before the cases.")
    call: str | None = Field(
        default=None, description="Appended to each assert case; `{entry_point}` is substituted (HumanEval)."
    )


class TraceSpec(Strict):
    """An existing reasoning trace: either a full response split on <think>, or separate think/answer."""

    response: ValueSpec | None = None
    think: ValueSpec | None = None
    answer: ValueSpec | None = None
    model: str = Field(default="unknown", description="Who wrote the trace (a model name, or 'human').")

    @model_validator(mode="after")
    def _one_shape(self) -> TraceSpec:
        if self.response is not None and (self.think is not None or self.answer is not None):
            raise ValueError("give either 'response' or 'think'/'answer', not both")
        if self.response is None and self.answer is None:
            raise ValueError("give 'response' or 'answer'")
        return self


class FieldMapping(Strict):
    id: str | list[str] | None = Field(
        default=None, description="Row key path (or paths, joined by '/'); absent → file and line number."
    )
    prompt: ValueSpec
    reference_answer: ValueSpec | None = None
    tests: TestsSpec | None = None
    trace: TraceSpec | None = None

    def id_paths(self) -> list[str]:
        return [] if self.id is None else [self.id] if isinstance(self.id, str) else list(self.id)

    def paths(self) -> set[str]:
        specs: list[ValueSpec | None] = [self.prompt, self.reference_answer]
        if self.trace is not None:
            specs += [self.trace.response, self.trace.think, self.trace.answer]
        found = {path for spec in specs if spec is not None for path in spec.paths()}
        found.update(self.id_paths())
        if self.tests is not None:
            found.update(p for p in (self.tests.field, self.tests.entry_point, self.tests.setup) if p)
        return found


class FilterSpec(Strict):
    """Quality rules of `filtered_problems`; each can be switched off or re-tuned per source."""

    urls: bool = Field(default=True, description="Drop prompts that contain a URL.")
    image_references: bool = Field(default=True, description="Drop prompts that point at an image or figure.")
    tables: bool = Field(default=True, description="Drop prompts that contain a Markdown/HTML/LaTeX table.")
    max_unusual_char_ratio: float = Field(
        default=0.01, ge=0, le=1, description="Largest share of control, private-use or replacement characters."
    )
    incomplete: bool = Field(default=True, description="Drop prompts with an unclosed code fence or math span.")
    min_chars: int = Field(default=10, ge=0)
    max_chars: int = Field(default=20_000, ge=1)


class DownsampleRule(Strict):
    """Keep only `keep` of the problems matching the category and/or difficulty (a seeded, stable choice)."""

    category: str | None = None
    difficulty: str | None = None
    keep: float = Field(ge=0, le=1)


class SourceSpec(Strict):
    name: str
    path: str = Field(description="File path or glob, relative to the registry file.")
    format: Literal["jsonl", "parquet", "csv"] | None = Field(default=None, description="Sniffed when absent.")
    licence: str
    priority: int = Field(default=50, description="Higher wins when dedup picks a cluster representative.")
    notes: str = ""
    language: str = Field(default="en", description="Natural language of the prompts (ISO 639-1).")
    category: LabelSpec
    subcategory: LabelSpec | None = None
    difficulty: LabelSpec | None = None
    fields: FieldMapping
    filters: FilterSpec = Field(default_factory=FilterSpec)
    downsample: list[DownsampleRule] = Field(default_factory=list)
    downsample_seed: int = 0

    @field_validator("name")
    @classmethod
    def _name_is_a_partition_key(cls, name: str) -> str:
        if not SOURCE_NAME.match(name):
            raise ValueError("use lowercase letters, digits, '_' or '-' (at most 64), starting with a letter/digit")
        return name

    @field_validator("category")
    @classmethod
    def _category_values(cls, spec: LabelSpec) -> LabelSpec:
        return _check_labels(spec, CATEGORIES, "category")

    @field_validator("difficulty")
    @classmethod
    def _difficulty_values(cls, spec: LabelSpec | None) -> LabelSpec | None:
        return None if spec is None else _check_labels(spec, DIFFICULTIES, "difficulty")

    @model_validator(mode="after")
    def _category_resolvable(self) -> SourceSpec:
        if self.category.field is None and self.category.default is None:
            raise ValueError("category needs a 'field' or a 'default'")
        return self


def _check_labels(spec: LabelSpec, allowed: tuple[str, ...], what: str) -> LabelSpec:
    values = [spec.default, *spec.map.values()]
    bad = sorted({v for v in values if v is not None and v not in allowed})
    if bad:
        raise ValueError(f"{what} values {bad} are not among {list(allowed)}")
    return spec
