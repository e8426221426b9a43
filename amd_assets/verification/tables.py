"""Table contracts of the verification stage."""

import pyarrow as pa

from amd_assets.contracts.tables import LINEAGE_FIELDS, TableContract

RESPONSE_VERDICTS = TableContract(
    name="response_verdicts",
    schema=pa.schema(
        [
            pa.field("response_id", pa.string(), nullable=False),
            pa.field("problem_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("origin", pa.string(), nullable=False),
            pa.field("verifier", pa.string(), nullable=False),
            pa.field("verifier_version", pa.string(), nullable=False),
            pa.field("verdict", pa.string(), nullable=False),
            pa.field("passed", pa.bool_(), nullable=False),
            pa.field("score", pa.float64()),
            pa.field("reason", pa.string(), nullable=False),
            pa.field("detail", pa.string(), nullable=False),
            pa.field("duration_s", pa.float64(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="One row per (response, verifier, verifier version): verdict, score, reason, detail, duration. "
    "Append-only, so verdicts of an older verifier version stay auditable next to the new ones.",
)

DISTILLED_SAMPLES = TableContract(
    name="distilled_samples",
    schema=pa.schema(
        [
            pa.field("problem_id", pa.string(), nullable=False),
            pa.field("response_id", pa.string(), nullable=False),
            *LINEAGE_FIELDS,
            pa.field("origin", pa.string(), nullable=False),
            pa.field("category", pa.string(), nullable=False),
            pa.field("prompt", pa.string(), nullable=False),
            pa.field("reference_answer", pa.string()),
            pa.field("test_cases", pa.string()),
            pa.field("think", pa.string()),
            pa.field("answer", pa.string(), nullable=False),
            pa.field("score", pa.float64()),
            pa.field("verdicts", pa.string(), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="One accepted response per problem (all rules and its category verifier passed, current versions).",
)

VERIFIER_VERSIONS = TableContract(
    name="verifier_versions",
    schema=pa.schema(
        [
            pa.field("source", pa.string(), nullable=False),
            pa.field("origin", pa.string(), nullable=False),
            pa.field("verifier", pa.string(), nullable=False),
            pa.field("verifier_version", pa.string(), nullable=False),
            pa.field("run_id", pa.string(), nullable=False),
            pa.field("recorded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        ]
    ),
    partition_by=["source"],
    description="The verifier versions each `response_verdicts` run of a source judged with (the registry's current "
    "ones): which of two versions is the newer, for the audit of what an upgrade changed.",
)
