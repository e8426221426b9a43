"""Every lakehouse table's contract by name, collected from the modules that declare them (no Dagster import)."""

from amd_assets.contracts.tables import TABLES, TableContract
from amd_assets.generation.tables import TEACHER_RESPONSES
from amd_assets.release.tables import RELEASE_ROWS
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS, VERIFIER_VERSIONS


def all_tables() -> dict[str, TableContract]:
    return {
        **TABLES,
        **{
            c.name: c
            for c in (TEACHER_RESPONSES, RESPONSE_VERDICTS, VERIFIER_VERSIONS, DISTILLED_SAMPLES, RELEASE_ROWS)
        },
    }
