"""Teacher generation: one interface over OpenAI-compatible servers and in-process vLLM."""

from resources.teacher.base import Teacher, TeacherBackendUnavailable
from resources.teacher.records import SamplingParams, Split, TeacherRequest, TeacherResult, split_think_answer
from resources.teacher.resource import TeacherResource
from resources.teacher.retry import RetryPolicy, TeacherCallError

__all__ = [
    "RetryPolicy",
    "SamplingParams",
    "Split",
    "Teacher",
    "TeacherBackendUnavailable",
    "TeacherCallError",
    "TeacherRequest",
    "TeacherResource",
    "TeacherResult",
    "split_think_answer",
]
