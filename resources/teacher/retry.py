"""Which failures are worth another attempt, and how long to wait before it."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

# Stable vocabulary for the `error_class` column: audits group by it, so it must not depend on the HTTP library.
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
TIMEOUT = "timeout"
CONNECTION = "connection"
MALFORMED = "malformed_response"
CLIENT_ERROR = "client_error"  # this request is bad (prompt too long, invalid parameter): final
CONFIG_ERROR = "config_error"  # every request will fail the same way (bad key, wrong URL or model name)
ENGINE_ERROR = "engine_error"  # the in-process vLLM engine failed (died, out of memory), not the prompt
# Stored rows only: the in-process backend once wrote every vLLM exception as this, engine failures included.
GENERATION_ERROR = "generation_error"

ERROR_CLASSES = (
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    CONNECTION,
    MALFORMED,
    CLIENT_ERROR,
    CONFIG_ERROR,
    ENGINE_ERROR,
    GENERATION_ERROR,
)
# Failures that say nothing about the request itself: the same request may well succeed in a later run.
TRANSIENT_CLASSES = (RATE_LIMITED, SERVER_ERROR, TIMEOUT, CONNECTION, MALFORMED, CONFIG_ERROR, ENGINE_ERROR)
# The exception types vLLM raises for one bad prompt (too long, empty, a chat template refusing it); a stored
# `generation_error` row names its exception first ("ValueError: ..."), anything else was the engine.
INVALID_INPUT_ERRORS = ("ValueError", "TypeError", "TemplateError", "TemplateSyntaxError", "UndefinedError")


def is_transient(error_class: str | None, error: str | None = None) -> bool:
    """Whether a failed request may succeed when asked again: the one rule for retries across runs and for the
    circuit breaker. A stored `generation_error` counts as what its exception says it was."""
    if error_class == GENERATION_ERROR:
        return not (error or "").startswith(tuple(f"{name}:" for name in INVALID_INPUT_ERRORS))
    return error_class in TRANSIENT_CLASSES


_CONFIG_STATUS = {401, 403, 404}
# 408 and 409 are transient by convention (request timeout, lock contention); 425 "too early" likewise.
_RETRYABLE_STATUS = {408, 409, 425, 429}


class TeacherCallError(Exception):
    """One failed attempt, already classified; the backend decides whether to try again."""

    def __init__(self, error_class: str, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.error_class = error_class
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.error_class in (RATE_LIMITED, SERVER_ERROR, TIMEOUT, CONNECTION, MALFORMED)  # within a run

    def describe(self) -> str:
        status = f"HTTP {self.status}: " if self.status is not None else ""
        return f"{status}{self}"


def status_error(status: int, message: str, headers: Mapping[str, str]) -> TeacherCallError:
    if status == 429:
        error_class = RATE_LIMITED
    elif status >= 500 or status in _RETRYABLE_STATUS:
        error_class = SERVER_ERROR
    elif status in _CONFIG_STATUS:
        error_class = CONFIG_ERROR
    else:
        error_class = CLIENT_ERROR
    return TeacherCallError(error_class, message, status=status, retry_after=parse_retry_after(headers))


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, `retry-after` (seconds or an HTTP date); None when absent/garbled."""
    lowered = {key.lower(): value for key, value in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(float(lowered["retry-after-ms"]) / 1000, 0.0)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(value)
    if parsed is None:
        return None
    return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    request_attempts: int = 6
    initial_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    max_retry_after_s: float = 600.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Wait before attempt `attempt + 1`.

        A server's Retry-After is obeyed (up to a cap), with a little upward jitter so the requests it rejected
        together do not all come back in the same instant. Otherwise exponential backoff with "equal jitter":
        at least half the exponential step, so a retry never fires immediately, at most the step.
        """
        draw = (rng or random).random()
        if retry_after is not None:
            wait = min(retry_after, self.max_retry_after_s)
            return wait + wait * 0.1 * draw
        step = min(self.max_backoff_s, self.initial_backoff_s * 2 ** (attempt - 1))
        return step / 2 + step / 2 * draw
