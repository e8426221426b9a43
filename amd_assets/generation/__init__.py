"""Generation: teacher responses for curated problems that have no usable existing trace."""

from amd_assets.generation.assets import GENERATION_GROUP, TeacherResponsesConfig, teacher_responses
from amd_assets.generation.checks import generation_checks, teacher_responses_contract
from amd_assets.generation.tables import TEACHER_RESPONSES

generation_assets = [teacher_responses]

__all__ = [
    "GENERATION_GROUP",
    "TEACHER_RESPONSES",
    "TeacherResponsesConfig",
    "generation_assets",
    "generation_checks",
    "teacher_responses",
    "teacher_responses_contract",
]
