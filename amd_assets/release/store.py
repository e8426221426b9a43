"""Where release folders live, and the per-run release settings."""

from pathlib import Path

from dagster import Config, ConfigurableResource
from pydantic import Field


class ReleaseStoreResource(ConfigurableResource):
    """A local folder holding one sub-folder per release version (`<root>/<version>/`)."""

    root: str = Field(default="releases", description="Folder of the release versions ($AMD_RELEASES).")

    def root_path(self) -> Path:
        return Path(self.root).expanduser().resolve()

    def path(self, version: str) -> Path:
        return self.root_path() / version


class ReleaseConfig(Config):
    version: str = Field(
        default="",
        description="Release name; empty derives `r-<12 hex>` from the released (problem, response, verdict "
        "versions), so the same content always gets the same version.",
    )
    overwrite: bool = Field(
        default=False, description="Allow replacing an existing named version whose content differs."
    )
    rows_per_shard: int = Field(default=100_000, ge=1, description="Rows per JSONL/Parquet file.")
    missing_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Sources left out of this release, each with why (`amd materialize --release-partial` fills "
        "it with the failed job, step and error). Their rows are not released even when the tables still hold "
        "them from an earlier run; the manifest and the dataset card list them.",
    )
