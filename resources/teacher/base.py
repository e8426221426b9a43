"""The one interface every teacher backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from resources.teacher.records import SamplingParams, TeacherRequest, TeacherResult


class TeacherBackendUnavailable(RuntimeError):
    """The configured backend cannot run here (a missing package, no server configured)."""


class Teacher(Protocol):
    backend: str
    model: str
    sampling: SamplingParams
    group_size: int  # requests per `complete` call: 1 for servers, a whole batch for in-process vLLM
    max_in_flight: int  # requests the backend wants outstanding at once

    async def complete(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        """One result per request, failures included: an exception here means a bug, not a bad response."""
        ...

    async def aclose(self) -> None: ...
