"""A small two-source lakehouse run through the real assets: near-duplicates across sources, an exact copy, a
reworded benchmark item, a problem that only shares a benchmark's boilerplate, and two distinct real MBPP problems
whose embeddings are close (cosine 0.91: the plain 0.83 rule merged them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from dagster import DagsterInstance, DynamicPartitionsDefinition, ExecuteInProcessResult, materialize

from amd_assets.curation.assets import (
    curated_problems,
    decontaminated_problems,
    dedup_decisions,
    filtered_problems,
    problem_signatures,
)
from amd_assets.curation.checks import curation_checks
from amd_assets.curation.labeler import LabelerResource
from amd_assets.curation.settings import DedupSettings
from amd_assets.ingest.assets import normalized_problems, raw_problems
from amd_assets.partitions import source_partitions
from amd_assets.registry import REPO_ROOT
from amd_assets.registry.resource import BenchmarkRegistryResource, SourceRegistryResource
from amd_assets.semantic.assets import semantic_assets
from amd_assets.semantic.checks import semantic_checks
from resources.embeddings import EmbeddingResource
from resources.lakehouse import LakehouseResource

EGGS = (
    "Your friend has an egg collection comprising at least $200$ eggs. He wants to store them in dozen-egg "
    "containers. After filling as many containers as possible, the last container had $1$ egg left over. He then "
    "decided to store his eggs in customized baker-dozen-egg containers, where each container can hold $13$ eggs. "
    "It turns out that, after filling as many of these containers as possible, he still has $1$ egg left over. "
    "What is the minimum number of eggs that your friend could have?"
)
GARDEN = (
    "A rectangular garden is 20 meters long and 12 meters wide. A path of uniform width runs around the outside "
    "of the garden, and the total area of the garden and the path is 396 square meters. How wide is the path, in "
    "meters?"
)
SECOND_LARGEST = (
    "Write a python function that takes a list of integers and returns the second largest distinct value in the "
    "list, or None when the list has fewer than two distinct values."
)
DIVISORS = "How many positive divisors does 3600 have? Count 1 and 3600 themselves among the divisors."
# MBPP test 312 and 82 as the mbpp source prompts them (sources.yaml): one template, two different tasks.
CONE = (
    "Write a function to find the volume of a cone.\nYour code should pass these tests:\n\n"
    "assert volume_cone(5,12)==314.15926535897927\nassert volume_cone(10,15)==1570.7963267948965\n"
    "assert volume_cone(19,17)==6426.651371693521"
)
SPHERE = (
    "Write a function to find the volume of a sphere.\nYour code should pass these tests:\n\n"
    "assert volume_sphere(10)==4188.790204786391\nassert volume_sphere(25)==65449.84694978735\n"
    "assert volume_sphere(20)==33510.32163829113"
)
MATH = {"m1": EGGS, "m2": GARDEN, "m3": SECOND_LARGEST, "m4": DIVISORS, "m5": CONE}
PLANTED = {
    # 3 words changed, one in each third of the text
    "p1": EGGS.replace("Your friend", "Your cousin")
    .replace("He then decided", "He then chose")
    .replace("the minimum number", "the smallest number"),
    # numbers and 3 words changed: MinHash on word 3-shingles sees little in common
    "p2": GARDEN.replace("garden", "lawn").replace("uniform", "constant").replace("20", "25").replace("12", "15"),
    "p3": DIVISORS,  # exact copy
    "p4": "A train leaves the station at 3 pm traveling at 60 miles per hour. A second train leaves the same station "
    "at 4 pm traveling at 80 miles per hour on the same track. At what time does the second train catch up?",
    "p5": "Write a python function that takes a list of strings and returns the strings sorted by length, breaking "
    "ties alphabetically.",
    # AIME 2024 item aime24-7 reworded, with the axis distance changed from 6 to 5
    "p6": "A torus $T$ is produced by revolving a circle of radius $3$ about an axis in the plane of the circle at a "
    "distance $5$ from its center. Let $S$ be a sphere of radius $11$. When $T$ rests inside $S$, it is internally "
    "tangent to $S$ along a circle of radius $r_i$; when $T$ rests outside $S$, it is externally tangent to $S$ "
    "along a circle of radius $r_o$. The difference $r_i-r_o$ equals $\\tfrac{m}{n}$, where $m$ and $n$ are "
    "relatively prime positive integers. Find $m+n$.",
    # shares only AIME's closing boilerplate
    "p7": "A bag holds 5 red and 7 blue marbles. Two marbles are drawn at random without replacement. The "
    "probability that both are red can be written as $\\tfrac{m}{n}$ , where $m$ and $n$ are relatively prime "
    "positive integers. Find $m+n$ .",
    "p8": SPHERE,  # close to m5 by embedding, a different problem
}
SOURCES = ("math", "planted")  # names of the repo's registry, so they are partitions whichever way those are defined
STAGES = [raw_problems, normalized_problems, filtered_problems, decontaminated_problems, problem_signatures]
ASSETS = [*STAGES, dedup_decisions, curated_problems, *semantic_assets, *curation_checks, *semantic_checks]
PREPARE = [*(asset.key.path[-1] for asset in STAGES), "problem_embeddings"]


def write_registry(folder: Path) -> tuple[Path, Path]:
    entries = []
    for name, rows, priority in (("math", MATH, 60), ("planted", PLANTED, 20)):
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"id": key, "question": text}) + "\n" for key, text in rows.items()))
        entries.append(
            f"  {name}:\n    path: {path}\n    licence: CC0-1.0\n    priority: {priority}\n    category: math\n"
            "    fields: {id: id, prompt: question}\n"
        )
    sources = folder / "sources.yaml"
    sources.write_text("sources:\n" + "".join(entries))
    benchmarks = folder / "benchmarks.yaml"
    aime = REPO_ROOT / "data" / "benchmarks" / "aime2024.jsonl"
    benchmarks.write_text(
        "ngram_size: 13\nembedding: {enabled: true}\nbenchmarks:\n"
        f"  aime2024: {{path: {aime}, id: id, text: [question], licence: evaluation use}}\n"
    )
    return sources, benchmarks


class Lakehouse:
    """The assets and checks run against one tmp lakehouse, like the `prepare_sources` / `deduplicate` /
    `curate_sources` jobs."""

    def __init__(self, folder: Path):
        sources, benchmarks = write_registry(folder)
        self.lakehouse = LakehouseResource(root=str(folder / "lakehouse"))
        self.instance = DagsterInstance.ephemeral()
        if isinstance(source_partitions, DynamicPartitionsDefinition):
            self.instance.add_dynamic_partitions(source_partitions.name or "sources", list(SOURCES))
        self.resources: dict[str, Any] = {
            "lakehouse": self.lakehouse,
            "source_registry": SourceRegistryResource(path=str(sources)),
            "benchmark_registry": BenchmarkRegistryResource(path=str(benchmarks)),
            "dedup_settings": DedupSettings(),
            "labeler": LabelerResource(),
            "embedder": EmbeddingResource(),
        }

    def run(
        self, selection: list[str], partition: str | None = None, raise_on_error: bool = True, **resources: Any
    ) -> ExecuteInProcessResult:
        return materialize(
            ASSETS,
            selection=selection,
            partition_key=partition,
            instance=self.instance,
            resources={**self.resources, **resources},
            raise_on_error=raise_on_error,
        )

    def all(self, **resources: Any) -> None:
        for source in SOURCES:
            self.run(PREPARE, source, **resources)
        self.run(["dedup_decisions", "semantic_dedup_decisions"], **resources)
        for source in SOURCES:
            self.run(["curated_problems"], source, **resources)


def metadata(result: ExecuteInProcessResult, asset: str) -> Mapping[str, Any]:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.path[-1] == asset]
    return {key: value.value for key, value in events[-1].materialization.metadata.items()}


def failed_checks(result: ExecuteInProcessResult) -> list[str]:
    return [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> Lakehouse:
    lakehouse = Lakehouse(tmp_path_factory.mktemp("semantic"))
    lakehouse.all()
    return lakehouse


Run = Callable[..., ExecuteInProcessResult]
