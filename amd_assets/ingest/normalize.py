"""One raw row → one canonical problem, following the source's field mapping; `RowError` for bad rows."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import orjson

from amd_assets.ingest.errors import RowError, missing, wrong_type
from amd_assets.ingest.test_cases import canonical_tests
from amd_assets.ingest.traces import split_response
from amd_assets.latex import last_boxed
from amd_assets.records import MISSING, get_path, render_template, top_level_key
from amd_assets.registry.model import CATEGORIES, DIFFICULTIES, LabelSpec, SourceSpec, ValueSpec


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.DOTALL | re.MULTILINE)


def resolve_value(spec: ValueSpec, record: dict[str, Any], name: str, required: bool = False) -> str | None:
    """The text a value spec points at; None when absent (a `RowError` when `required`)."""
    if spec.template is not None:
        text, absent = render_template(spec.template, record)
        if absent is not None:
            if required:
                raise missing(absent)
            return None
    else:
        field = spec.field or ""
        value = get_path(record, field)
        if value is MISSING or value is None:
            if required:
                raise missing(field)
            return None
        if isinstance(value, str):
            text = value
        elif name != "prompt" and isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
        else:
            raise wrong_type(field, "a string" if name == "prompt" else "a string or number", value)
    return _extract(spec, text, name)


def _extract(spec: ValueSpec, text: str, name: str) -> str:
    where = spec.field or "template"
    if spec.extract == "last_boxed":
        boxed = last_boxed(text)
        if boxed is None:
            raise RowError("bad_value", where, f"{name}: no \\boxed{{}} found in {where!r}")
        text = boxed
    if spec.regex is not None:
        match = _compiled(spec.regex).search(text)
        if match is None:
            raise RowError("bad_value", where, f"{name}: pattern {spec.regex!r} does not match {where!r}")
        text = match.group("value") if "value" in match.re.groupindex else match.group(1)
    return text.strip() if spec.extract or spec.regex else text


def resolve_label(spec: LabelSpec, record: dict[str, Any], allowed: tuple[str, ...] | None, name: str) -> str | None:
    if spec.field is None:
        return spec.default
    value = get_path(record, spec.field)
    if value is MISSING or value is None or value == "":
        return spec.default
    if isinstance(value, dict | list):
        raise wrong_type(spec.field, "a string or number", value)
    raw = str(value)
    label = spec.map.get(raw, raw)
    if label is not None and allowed is not None and label not in allowed:
        raise RowError("bad_value", spec.field, f"{name} {raw!r} from {spec.field!r} is not mapped to one of {allowed}")
    return label


def normalize_record(spec: SourceSpec, record: dict[str, Any], mapped: frozenset[str] | None = None) -> dict[str, Any]:
    """Canonical columns (without lineage) for one source row; pass `mapped_paths(spec)` when calling in a loop."""
    fields = spec.fields
    prompt = resolve_value(fields.prompt, record, "prompt", required=True)
    reference = resolve_value(fields.reference_answer, record, "reference_answer") if fields.reference_answer else None
    tests = canonical_tests(fields.tests, record) if fields.tests else None
    think, answer = _trace(spec, record)
    category = resolve_label(spec.category, record, CATEGORIES, "category")
    if category is None:
        raise missing(spec.category.field or "category")
    return {
        "category": category,
        "subcategory": resolve_label(spec.subcategory, record, None, "subcategory") if spec.subcategory else None,
        "difficulty": resolve_label(spec.difficulty, record, DIFFICULTIES, "difficulty") if spec.difficulty else None,
        "language": spec.language,
        "prompt": prompt,
        "reference_answer": reference,
        "test_cases": orjson.dumps(tests).decode() if tests is not None else None,
        "num_test_cases": len(tests["cases"]) if tests is not None else 0,
        "trace_think": think,
        "trace_answer": answer,
        "trace_origin": "existing" if answer is not None else None,
        "trace_model": fields.trace.model if answer is not None and fields.trace else None,
        "metadata": _unmapped(mapped if mapped is not None else mapped_paths(spec), record),
    }


def _trace(spec: SourceSpec, record: dict[str, Any]) -> tuple[str | None, str | None]:
    trace = spec.fields.trace
    if trace is None:
        return None, None
    if trace.response is not None:
        response = resolve_value(trace.response, record, "trace.response")
        return split_response(response) if response is not None else (None, None)
    answer = resolve_value(trace.answer, record, "trace.answer") if trace.answer else None
    think = resolve_value(trace.think, record, "trace.think") if trace.think else None
    return (think, answer) if answer is not None else (None, None)


def _unmapped(mapped: frozenset[str], record: dict[str, Any]) -> str:
    """The row's fields that no mapping uses, as sorted JSON: nothing of the source row is lost."""
    used = {top_level_key(path, record) for path in mapped}
    rest = {key: value for key, value in record.items() if key not in used}
    return orjson.dumps(rest, option=orjson.OPT_SORT_KEYS).decode()


def mapped_paths(spec: SourceSpec) -> frozenset[str]:
    labels = (spec.category, spec.subcategory, spec.difficulty)
    return frozenset(spec.fields.paths() | {label.field for label in labels if label is not None and label.field})
