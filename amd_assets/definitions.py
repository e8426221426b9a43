"""The Dagster code location (`workspace.yaml`, `dagster dev`): the definitions `build_defs` assembles."""

from amd_assets.build import build_defs

defs = build_defs()
