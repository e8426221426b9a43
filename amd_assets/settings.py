"""Settings of the deployment: the environment variables the resources read at launch, and their defaults.

Resources are configured with `EnvVar`s (the UI shows which variable a value came from, and a run picks up the
environment of the process that launches it). Dagster refuses an unset `EnvVar`, so `fill_environment_defaults`
gives every variable below its default when the process has none; a value a user exported always wins.
Explicit `Paths` (the `amd --lakehouse/--releases/--sources/--benchmarks` flags, tests) replace the variables.

Two kinds of setting cannot be an `EnvVar` and are read when the definitions are built instead, through a helper
that names the variable in its error, so a typo fails when the code location loads, not in the middle of a run:
modes (`choice`: the resource field is a `Literal`, which an `EnvVar` cannot feed) and decimal numbers
(`number`: Dagster has `EnvVar.int` but no float).
"""

from __future__ import annotations

import math
import os
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TypeVar

from amd_assets.registry.load import REPO_ROOT


@dataclass(frozen=True)
class EnvSetting:
    name: str
    default: str
    help: str


ENVIRONMENT: tuple[EnvSetting, ...] = (
    EnvSetting("AMD_LAKEHOUSE", "lakehouse", "lakehouse root: a folder or an s3://, gs://, az:// URI"),
    EnvSetting("AMD_RELEASES", "releases", "folder of the release versions"),
    EnvSetting("AMD_SOURCES", str(REPO_ROOT / "sources.yaml"), "the source registry"),
    EnvSetting("AMD_BENCHMARKS", str(REPO_ROOT / "benchmarks.yaml"), "the decontamination benchmark registry"),
    EnvSetting("AMD_AUDIT_DB", str(REPO_ROOT / "dbt_models" / "target" / "audits.duckdb"), "dbt's audit database"),
    EnvSetting("AMD_TEACHER_BACKEND", "none", "none | openai | vllm"),
    EnvSetting("AMD_TEACHER_MODEL", "deepseek-ai/DeepSeek-R1", "teacher model name"),
    EnvSetting("AMD_TEACHER_BASE_URLS", "", "comma-separated OpenAI-compatible base URLs"),
    EnvSetting("AMD_TEACHER_CLIENT", "native", "native | openai (HTTP client of the openai backend)"),
    EnvSetting("AMD_TEACHER_MAX_CONCURRENCY", "64", "teacher requests in flight over all servers"),
    EnvSetting("AMD_TEACHER_MAX_TOKENS", "32768", "teacher completion token limit"),
    EnvSetting("AMD_TEACHER_TENSOR_PARALLEL_SIZE", "1", "vllm backend: GPUs per model replica"),
    EnvSetting("AMD_TEACHER_REQUEST_TIMEOUT_S", "1800", "deadline of one teacher request attempt (s)"),
    EnvSetting("AMD_TEACHER_REQUEST_ATTEMPTS", "6", "attempts per teacher request, the first included"),
    EnvSetting("AMD_TEACHER_INITIAL_BACKOFF_S", "1", "first retry waits 0.5-1x this (s), doubling after"),
    EnvSetting("AMD_TEACHER_MAX_BACKOFF_S", "60", "cap on the wait between teacher retries (s)"),
    EnvSetting("AMD_JUDGE_BASE_URL", "", "OpenAI-compatible judge URL; empty = no judge"),
    EnvSetting("AMD_JUDGE_MODEL", "judge", "judge model name"),
    EnvSetting("AMD_JUDGE_MODE", "rubric", "rubric (chat LLM judge) | reward (reward model)"),
    EnvSetting("AMD_MATH_WORKERS", "0", "math-verify worker processes; 0 = one per core"),
    EnvSetting("AMD_MATH_STARTUP_TIMEOUT_S", "600", "math-verify start-up deadline (s); when missed the source fails"),
    EnvSetting("AMD_LABELER_BASE_URL", "", "OpenAI-compatible difficulty labeler URL; empty = off"),
    EnvSetting("AMD_LABELER_MODEL", "", "labeler model name"),
    EnvSetting("AMD_EMBEDDING_BACKEND", "wordllama", "wordllama (embedded, CPU) | openai (/v1/embeddings endpoint)"),
    EnvSetting("AMD_EMBEDDING_MODEL", "l2_supercat", "embedding model: wordllama config or the served model name"),
    EnvSetting("AMD_EMBEDDING_DIM", "0", "vector width; 0 = the model's own"),
    EnvSetting("AMD_EMBEDDING_BASE_URLS", "", "openai backend: comma-separated base URLs"),
    EnvSetting("AMD_EMBEDDING_BATCH_SIZE", "64", "openai backend: texts per request"),
    EnvSetting("AMD_EMBEDDING_MAX_CONCURRENCY", "8", "openai backend: requests in flight"),
    EnvSetting("AMD_EMBEDDING_DEDUP_THRESHOLD", "", "semantic dedup cosine; empty = the model's calibrated value"),
    EnvSetting("AMD_EMBEDDING_DECONTAMINATION_THRESHOLD", "", "semantic decontamination cosine; empty = calibrated"),
)
DEFAULTS = {setting.name: setting.default for setting in ENVIRONMENT}


def fill_environment_defaults(environ: MutableMapping[str, str] | None = None) -> None:
    """Give each setting its default where the environment has no value, so every `EnvVar` resolves."""
    target = os.environ if environ is None else environ
    for setting in ENVIRONMENT:
        target.setdefault(setting.name, setting.default)


@dataclass(frozen=True)
class Paths:
    """Explicit locations that replace their environment variables (None keeps the variable)."""

    lakehouse: str | None = None
    releases: str | None = None
    sources: str | None = None
    benchmarks: str | None = None
    audit_db: str | None = None


def resolved(name: str, explicit: str | None = None) -> str:
    """A setting's value for a command running outside Dagster: the explicit value, else the environment, else
    the default (what an `EnvVar` of a run launched now would resolve to)."""
    if explicit is not None:
        return explicit
    return os.environ.get(name) or DEFAULTS[name]


class SettingError(ValueError):
    """An environment variable holds a value its setting does not accept; the message names the variable."""


Mode = TypeVar("Mode", bound=str)


def choice(name: str, allowed: tuple[Mode, ...]) -> Mode:
    """The mode setting `name` (environment, else default), read now and checked against `allowed`."""
    value = resolved(name)
    for mode in allowed:
        if value == mode:
            return mode
    raise SettingError(f"{name}={value!r} is not one of {', '.join(repr(mode) for mode in allowed)}")


def number(name: str) -> float:
    """The decimal setting `name` (environment, else default), read now: a finite number >= 0."""
    value = resolved(name)
    try:
        parsed = float(value)
    except ValueError:
        parsed = math.nan
    if not math.isfinite(parsed) or parsed < 0:
        raise SettingError(f"{name}={value!r} is not a number >= 0")
    return parsed
