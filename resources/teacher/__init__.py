"""Teacher generation: one interface over OpenAI-compatible servers and in-process vLLM.

The names below are loaded when first used (PEP 562), so importing a light submodule such as `retry` (the error
classes the table contracts name) does not import the Dagster resource and its clients.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resources.teacher.base import Teacher, TeacherBackendUnavailable
    from resources.teacher.records import SamplingParams, Split, TeacherRequest, TeacherResult, split_think_answer
    from resources.teacher.resource import TeacherResource
    from resources.teacher.retry import RetryPolicy, TeacherCallError

_EXPORTS = {
    "Teacher": "base",
    "TeacherBackendUnavailable": "base",
    "SamplingParams": "records",
    "Split": "records",
    "TeacherRequest": "records",
    "TeacherResult": "records",
    "split_think_answer": "records",
    "TeacherResource": "resource",
    "RetryPolicy": "retry",
    "TeacherCallError": "retry",
}
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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
