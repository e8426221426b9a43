"""Blocking contract check on `teacher_responses`: a malformed partition never reaches verification, and
append-only still means exactly-once."""

from typing import cast

import pyarrow.dataset as ds

from amd_assets.contracts.checks import contract_check
from amd_assets.generation.assets import teacher_responses
from amd_assets.generation.tables import TEACHER_RESPONSES
from resources.lakehouse import LakehouseResource


def duplicate_responses(lakehouse: LakehouseResource, where: ds.Expression | None) -> dict[str, int]:
    """One generated row per response_id, and one row per (response_id, run)."""
    import polars as pl

    batches = lakehouse.scan(TEACHER_RESPONSES.name, columns=["response_id", "status", "run_id"], filter=where)
    # a record batch becomes a DataFrame (`from_arrow` is typed DataFrame | Series for every input)
    frames = [cast(pl.DataFrame, pl.from_arrow(batch)) for batch in batches]
    if not frames:
        return {}
    frame = pl.concat(frames)
    generated = frame.filter(pl.col("status") != "failed")
    return {
        "response_id generated twice": generated.height - generated["response_id"].n_unique(),
        "(response_id, run_id) twice": frame.height - frame.select(["response_id", "run_id"]).n_unique(),
    }


generation_checks = [
    contract_check(teacher_responses, TEACHER_RESPONSES, unique=None, invariants=[duplicate_responses]),
]
