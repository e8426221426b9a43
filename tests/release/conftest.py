"""One release history shared by the release tests: release A (humaneval only), then B (humaneval + math).

humaneval goes first because a math verification run costs ~15 s (its math-verify process pool) and the
diff test re-verifies the source it contaminates."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pipeline import Pipeline
from tests.release.release_fixtures import small_pipeline, small_registry


@dataclass
class History:
    pipeline: Pipeline
    registry: Path
    releases: Path
    first: str  # humaneval only
    second: str  # humaneval + math

    def folder(self, version: str) -> Path:
        return self.releases / version


def version_of(result) -> str:
    (materialization,) = [
        m for m in result.asset_materializations_for_node("release") if m.asset_key.path == ["release"]
    ]
    return materialization.metadata["version"].value


@pytest.fixture(scope="session")
def history(tmp_path_factory) -> History:
    root = tmp_path_factory.mktemp("release")
    registry = small_registry(root / "registry")
    pipeline = small_pipeline(root / "lakehouse", registry, root / "releases")
    pipeline.all(["humaneval"])
    pipeline.verify("humaneval")
    first = version_of(pipeline.release())
    pipeline.prepare("math")
    pipeline.dedup()  # math shares no problem with humaneval: humaneval's curated rows stay as they are
    pipeline.curate("math")
    pipeline.verify("math")
    second = version_of(pipeline.release())
    return History(pipeline, registry, root / "releases", first, second)
