"""The resources of the code location, configured from `EnvVar`s that Dagster resolves when a run launches;
modes and decimal numbers, which cannot be an `EnvVar`, are read and checked here, when the definitions are built.

What belongs here: which resource serves each key and where its settings come from (`amd_assets.settings`
lists the variables and their defaults). Resource classes live with the code they serve (`resources/`, the
stage packages); asset logic never lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import EnvVar

from amd_assets.audits.resource import AuditDatabaseResource
from amd_assets.curation.labeler import LabelerResource
from amd_assets.curation.settings import DedupSettings
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from amd_assets.release.store import ReleaseStoreResource
from amd_assets.settings import Paths, choice, number
from amd_assets.verification.judge import JUDGE_MODES, JudgeResource
from resources.embeddings import EmbeddingResource
from resources.embeddings.resource import BACKENDS as EMBEDDING_BACKENDS
from resources.lakehouse import LakehouseResource
from resources.lakehouse_sql import LakehouseDuckDB
from resources.sandbox import SandboxResource
from resources.teacher import TeacherResource
from resources.teacher.resource import BACKENDS as TEACHER_BACKENDS
from resources.teacher.resource import CLIENTS as TEACHER_CLIENTS


def _path(explicit: str | None, variable: str) -> str:
    return explicit if explicit is not None else EnvVar(variable)


def teacher_resource() -> TeacherResource:
    return TeacherResource(
        backend=choice("AMD_TEACHER_BACKEND", TEACHER_BACKENDS),
        model=EnvVar("AMD_TEACHER_MODEL"),
        base_urls=EnvVar("AMD_TEACHER_BASE_URLS"),
        client=choice("AMD_TEACHER_CLIENT", TEACHER_CLIENTS),
        api_key_env="AMD_TEACHER_API_KEY",
        max_concurrency=EnvVar.int("AMD_TEACHER_MAX_CONCURRENCY"),
        max_tokens=EnvVar.int("AMD_TEACHER_MAX_TOKENS"),
        tensor_parallel_size=EnvVar.int("AMD_TEACHER_TENSOR_PARALLEL_SIZE"),
        request_timeout_s=number("AMD_TEACHER_REQUEST_TIMEOUT_S"),
        request_attempts=EnvVar.int("AMD_TEACHER_REQUEST_ATTEMPTS"),
        initial_backoff_s=number("AMD_TEACHER_INITIAL_BACKOFF_S"),
        max_backoff_s=number("AMD_TEACHER_MAX_BACKOFF_S"),
    )


def embedding_resource() -> EmbeddingResource:
    return EmbeddingResource(
        backend=choice("AMD_EMBEDDING_BACKEND", EMBEDDING_BACKENDS),
        model=EnvVar("AMD_EMBEDDING_MODEL"),
        dim=EnvVar.int("AMD_EMBEDDING_DIM"),
        base_urls=EnvVar("AMD_EMBEDDING_BASE_URLS"),
        api_key_env="AMD_EMBEDDING_API_KEY",
        batch_size=EnvVar.int("AMD_EMBEDDING_BATCH_SIZE"),
        max_concurrency=EnvVar.int("AMD_EMBEDDING_MAX_CONCURRENCY"),
        dedup_threshold=EnvVar("AMD_EMBEDDING_DEDUP_THRESHOLD"),
        decontamination_threshold=EnvVar("AMD_EMBEDDING_DECONTAMINATION_THRESHOLD"),
    )


def build_resources(paths: Paths | None = None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every resource key the assets, checks and sensors use. `overrides` replace keys; a replaced `lakehouse`
    is also the one `duckdb` reads."""
    paths = paths or Paths()
    overrides = dict(overrides or {})
    lakehouse = overrides.get("lakehouse") or LakehouseResource(root=_path(paths.lakehouse, "AMD_LAKEHOUSE"))
    resources: dict[str, Any] = {
        "lakehouse": lakehouse,
        "duckdb": LakehouseDuckDB(lakehouse=lakehouse),
        "source_registry": SourceRegistryResource(path=_path(paths.sources, "AMD_SOURCES")),
        "benchmark_registry": BenchmarkRegistryResource(path=_path(paths.benchmarks, "AMD_BENCHMARKS")),
        "dedup_settings": DedupSettings(),
        "release_store": ReleaseStoreResource(root=_path(paths.releases, "AMD_RELEASES")),
        "sandbox": SandboxResource(),
        "judge": JudgeResource(
            base_url=EnvVar("AMD_JUDGE_BASE_URL"),
            model=EnvVar("AMD_JUDGE_MODEL"),
            mode=choice("AMD_JUDGE_MODE", JUDGE_MODES),
        ),
        "teacher": teacher_resource(),
        # dbt reads the lakehouse resource's root and this audit database (passed as dbt vars).
        "audit_db": AuditDatabaseResource(path=_path(paths.audit_db, "AMD_AUDIT_DB")),
        "labeler": LabelerResource(base_url=EnvVar("AMD_LABELER_BASE_URL"), model=EnvVar("AMD_LABELER_MODEL")),
        # semantic dedup and semantic decontamination: one model for both
        "embedder": embedding_resource(),
    }
    return {**resources, **overrides}
