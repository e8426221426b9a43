"""Release stage: the global `release` asset (files, card, manifest, `release_rows`) and its gates."""

from amd_assets.release.assets import release
from amd_assets.release.checks import release_checks
from amd_assets.release.store import ReleaseStoreResource

release_assets = [release]

__all__ = ["ReleaseStoreResource", "release", "release_assets", "release_checks"]
