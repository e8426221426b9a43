"""Run the real assets and checks against a tmp lakehouse, in the order `amd materialize` uses."""

from __future__ import annotations

from pathlib import Path

from dagster import ExecuteInProcessResult, materialize

from amd_assets.build import PIPELINE_ASSETS, PIPELINE_CHECKS
from amd_assets.registry import REPO_ROOT
from amd_assets.resources import build_resources
from amd_assets.settings import Paths, fill_environment_defaults
from resources.lakehouse import LakehouseResource
from tests.dagster_support import source_instance


class Pipeline:
    """Runs the real assets and checks with resources pointed at a tmp lakehouse (and optionally another
    benchmark registry): prepare each source, dedup across all, curate each source — like `amd materialize`.

    `semantic=False` (the default) leaves out semantic dedup (problem_embeddings, semantic_dedup_decisions), which
    `amd materialize` runs: the verification and release suites count every sample problem (all 164 HumanEval
    problems, say), and the embedded model merges some look-alike ones. Semantic decontamination stays on."""

    def __init__(self, lakehouse: LakehouseResource, benchmarks: Path | None = None, semantic: bool = False):
        fill_environment_defaults()  # what build_defs does: the teacher/judge EnvVars resolve to their defaults
        self.lakehouse = lakehouse
        self.semantic = semantic
        self.instance = source_instance()
        self.assets = [*PIPELINE_ASSETS, *PIPELINE_CHECKS]
        paths = Paths(
            sources=str(REPO_ROOT / "sources.yaml"), benchmarks=str(benchmarks or REPO_ROOT / "benchmarks.yaml")
        )
        self.resources = build_resources(paths, {"lakehouse": lakehouse})

    def run(self, selection: list[str], partition: str | None = None) -> ExecuteInProcessResult:
        result = materialize(
            self.assets, selection=selection, partition_key=partition, instance=self.instance, resources=self.resources
        )
        assert result.success
        return result

    def prepare(self, source: str) -> ExecuteInProcessResult:
        return self.run([*PREPARE, "problem_embeddings"] if self.semantic else PREPARE, source)

    def dedup(self) -> ExecuteInProcessResult:
        return self.run(["dedup_decisions", "semantic_dedup_decisions"] if self.semantic else ["dedup_decisions"])

    def curate(self, source: str) -> ExecuteInProcessResult:
        return self.run(["curated_problems"], source)

    def generate(self, source: str) -> ExecuteInProcessResult:
        return self.run(["teacher_responses"], source)

    def verify(self, source: str) -> ExecuteInProcessResult:
        return self.run(["response_verdicts", "distilled_samples"], source)

    def release(self, config: dict | None = None) -> ExecuteInProcessResult:
        run_config = {"ops": {"release": {"config": config}}} if config else None
        result = materialize(
            self.assets,
            selection=["release"],
            instance=self.instance,
            resources=self.resources,
            run_config=run_config,
        )
        assert result.success
        return result

    def all(self, sources: list[str]) -> None:
        for source in sources:
            self.prepare(source)
        self.dedup()
        for source in sources:
            self.curate(source)


PREPARE = ["raw_problems", "normalized_problems", "filtered_problems", "decontaminated_problems", "problem_signatures"]
