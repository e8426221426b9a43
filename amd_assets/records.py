"""Dotted-path lookup into a source row (`doc.problem`, `messages.0.content`) and template rendering."""

from __future__ import annotations

from typing import Any

import orjson

from amd_assets.registry.model import PLACEHOLDER


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get_path(record: Any, path: str) -> Any:
    """The value at `path`, or MISSING. A key that itself contains dots is found before descending."""
    if isinstance(record, dict) and path in record:
        return record[path]
    current = record
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else MISSING
        else:
            return MISSING
        if current is MISSING:
            return MISSING
    return current


def top_level_key(path: str, record: dict[str, Any]) -> str:
    return path if path in record else path.split(".", 1)[0]


def as_text(value: Any) -> str:
    """How a value reads inside a template: lists of strings joined by lines, structures as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "\n".join(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def render_template(template: str, record: dict[str, Any]) -> tuple[str, str | None]:
    """(text, first missing path). `{{` and `}}` stand for literal braces."""
    missing: list[str] = []

    def substitute(match: Any) -> str:
        value = get_path(record, match.group(1))
        if value is MISSING or value is None:
            missing.append(match.group(1))
            return ""
        return as_text(value)

    parts = template.split("{{")
    rendered = "{".join("}".join(PLACEHOLDER.sub(substitute, piece) for piece in part.split("}}")) for part in parts)
    return rendered, (missing[0] if missing else None)
