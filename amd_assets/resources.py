"""Resource instances for the deployed definitions, configured from the environment."""

from __future__ import annotations

import os

from dagster import EnvVar
from dagster_dbt import DbtCliResource

from amd_assets.audits.dbt_project import DEFAULT_AUDIT_DB, audit_project, dbt_executable
from amd_assets.audits.resource import AuditDatabaseResource
from amd_assets.curation.labeler import LabelerResource
from amd_assets.curation.settings import DedupSettings
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from amd_assets.release.store import ReleaseStoreResource
from amd_assets.verification.judge import JudgeResource
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB
from resources.sandbox import SandboxResource
from resources.teacher import TeacherResource


def _env(name: str, default: str) -> str:
    """EnvVar when set (the UI shows where the value came from), the default otherwise."""
    return EnvVar(name) if os.environ.get(name) else default  # type: ignore[return-value]


def _optional_env(name: str) -> str | None:
    return EnvVar(name) if os.environ.get(name) else None  # type: ignore[return-value]


def _env_int(name: str, default: int) -> int:
    return EnvVar.int(name) if os.environ.get(name) else default  # type: ignore[return-value]


def build_resources() -> dict[str, object]:
    lakehouse = LakehouseResource(root=_env("AMD_LAKEHOUSE", "lakehouse"))
    return {
        "lakehouse": lakehouse,
        "duckdb": LakehouseDuckDB(lakehouse=lakehouse),
        "source_registry": SourceRegistryResource(path=_env("AMD_SOURCES", "sources.yaml")),
        "benchmark_registry": BenchmarkRegistryResource(path=_env("AMD_BENCHMARKS", "benchmarks.yaml")),
        "dedup_settings": DedupSettings(),
        "release_store": ReleaseStoreResource(root=_env("AMD_RELEASES", "releases")),
        "sandbox": SandboxResource(),
        "judge": JudgeResource(
            base_url=_optional_env("AMD_JUDGE_BASE_URL"),
            model=_env("AMD_JUDGE_MODEL", "judge"),
            mode=_env("AMD_JUDGE_MODE", "rubric"),
        ),
        "teacher": TeacherResource(
            backend=_env("AMD_TEACHER_BACKEND", "none"),
            model=_env("AMD_TEACHER_MODEL", "deepseek-ai/DeepSeek-R1"),
            base_urls=_env("AMD_TEACHER_BASE_URLS", ""),
            client=_env("AMD_TEACHER_CLIENT", "native"),
            api_key_env="AMD_TEACHER_API_KEY",
            max_concurrency=_env_int("AMD_TEACHER_MAX_CONCURRENCY", 64),
            max_tokens=_env_int("AMD_TEACHER_MAX_TOKENS", 32_768),
            tensor_parallel_size=_env_int("AMD_TEACHER_TENSOR_PARALLEL_SIZE", 1),
        ),
        # dbt runs with the lakehouse resource's root and this audit database (passed as dbt vars).
        "dbt": DbtCliResource(project_dir=audit_project, dbt_executable=dbt_executable()),
        "audit_db": AuditDatabaseResource(path=_env("AMD_AUDIT_DB", str(DEFAULT_AUDIT_DB))),
        "labeler": LabelerResource(
            base_url=_optional_env("AMD_LABELER_BASE_URL"), model=_optional_env("AMD_LABELER_MODEL")
        ),
    }
