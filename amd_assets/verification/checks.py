"""Checks on the verification assets."""

from amd_assets.contracts.checks import SideRows, contract_check
from amd_assets.contracts.tables import REJECTIONS
from amd_assets.verification.assets import distilled_samples, response_verdicts
from amd_assets.verification.tables import DISTILLED_SAMPLES, RESPONSE_VERDICTS

verification_checks = [
    contract_check(response_verdicts, RESPONSE_VERDICTS, unique=None),
    contract_check(distilled_samples, DISTILLED_SAMPLES, SideRows(REJECTIONS, "distill")),
]
