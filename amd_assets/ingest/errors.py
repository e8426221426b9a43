"""Why an input row cannot be kept (no usable row key, a missing or mistyped field, a value the mapping does not
know): the error type and field go to the quarantine table with the message. The one exception of a row error,
for the raw and the normalize stage alike."""

from __future__ import annotations


class RowError(ValueError):
    def __init__(self, error_type: str, field: str | None, message: str):
        super().__init__(message)
        self.error_type = error_type
        self.field = field


def wrong_type(field: str, expected: str, value: object) -> RowError:
    return RowError("wrong_type", field, f"field {field!r} must be {expected}, got {type(value).__name__}")


def missing(field: str) -> RowError:
    return RowError("missing_field", field, f"required field {field!r} is missing or null")
