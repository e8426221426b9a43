"""Settings: a mode is a `Literal`, so a typo fails when the resource or the definitions are built (naming the
variable), and the teacher's request settings come from `AMD_TEACHER_*` like the rest."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from amd_assets.audits.project import load_manifest
from amd_assets.build import build_defs
from amd_assets.curation.settings import DedupSettings
from amd_assets.settings import DEFAULTS, SettingError, choice, number
from amd_assets.verification.judge import JudgeResource
from resources.embeddings import EmbeddingResource
from resources.sandbox import SandboxResource
from resources.teacher import TeacherResource


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest()


@pytest.mark.parametrize(
    "resource,field",
    [
        (TeacherResource, "backend"),
        (TeacherResource, "client"),
        (JudgeResource, "mode"),
        (SandboxResource, "mode"),
        (DedupSettings, "backend"),
        (EmbeddingResource, "backend"),
    ],
)
def test_a_mode_typo_fails_when_the_resource_is_built(resource: Any, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        resource(**{field: "rubrik"})


@pytest.mark.parametrize(
    "variable,value,allowed",
    [
        ("AMD_JUDGE_MODE", "rubrik", "'rubric', 'reward'"),
        ("AMD_TEACHER_BACKEND", "gpu", "'none', 'openai', 'vllm'"),
        ("AMD_TEACHER_CLIENT", "curl", "'native', 'openai'"),
        ("AMD_EMBEDDING_BACKEND", "bge", "'wordllama', 'openai'"),
    ],
)
def test_a_mode_typo_in_the_environment_fails_when_the_definitions_are_built(
    monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any], variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingError, match=re.escape(f"{variable}={value!r} is not one of {allowed}")):
        build_defs(dbt_manifest=manifest)


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_bad_decimal_setting_fails_when_the_definitions_are_built(
    monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any], value: str
) -> None:
    monkeypatch.setenv("AMD_TEACHER_REQUEST_TIMEOUT_S", value)
    with pytest.raises(SettingError, match=re.escape(f"AMD_TEACHER_REQUEST_TIMEOUT_S={value!r} is not a number")):
        build_defs(dbt_manifest=manifest)


def test_unset_or_empty_settings_take_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMD_JUDGE_MODE", raising=False)
    monkeypatch.setenv("AMD_TEACHER_MAX_BACKOFF_S", "")
    assert choice("AMD_JUDGE_MODE", ("rubric", "reward")) == DEFAULTS["AMD_JUDGE_MODE"] == "rubric"
    assert number("AMD_TEACHER_MAX_BACKOFF_S") == float(DEFAULTS["AMD_TEACHER_MAX_BACKOFF_S"])


def test_teacher_request_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any]
) -> None:
    monkeypatch.setenv("AMD_TEACHER_BACKEND", "openai")
    monkeypatch.setenv("AMD_JUDGE_MODE", "reward")
    monkeypatch.setenv("AMD_TEACHER_REQUEST_TIMEOUT_S", "42.5")
    monkeypatch.setenv("AMD_TEACHER_INITIAL_BACKOFF_S", "0.25")
    monkeypatch.setenv("AMD_TEACHER_MAX_BACKOFF_S", "8")
    built = build_defs(dbt_manifest=manifest)
    monkeypatch.setenv("AMD_TEACHER_REQUEST_ATTEMPTS", "3")  # an EnvVar: resolved when a run launches
    teacher = built.resources["teacher"].process_config_and_initialize()
    assert (teacher.backend, teacher.request_timeout_s) == ("openai", 42.5)
    policy = teacher.retry_policy()
    assert (policy.request_attempts, policy.initial_backoff_s, policy.max_backoff_s) == (3, 0.25, 8.0)
    assert built.resources["judge"].mode == "reward"


def test_every_variable_the_resources_read_is_listed_with_a_default() -> None:
    source = (Path(__file__).parents[1] / "amd_assets" / "resources.py").read_text()
    named = {name for name in re.findall(r'"(AMD_[A-Z0-9_]+)"', source) if not name.endswith("_API_KEY")}
    assert named <= set(DEFAULTS)
    teacher_requests = {"REQUEST_TIMEOUT_S", "REQUEST_ATTEMPTS", "INITIAL_BACKOFF_S", "MAX_BACKOFF_S"}
    assert {f"AMD_TEACHER_{name}" for name in teacher_requests} <= named
