"""Source test formats → one canonical JSON shape the sandbox runs.

```
{"kind": "stdio", "language": "python", "entry_point": null, "setup": null,
 "cases": [{"input": str, "output": str}]}
{"kind": "assert", "language": "python", "entry_point": str|null, "setup": str|null, "cases": [{"code": str}]}
{"kind": "function_call", "language": "python", "entry_point": str, "setup": str|null,
 "cases": [{"args": list, "kwargs": dict, "expected": any}]}
```
Accepted source shapes: stdio as a list of {input, output} or APPS-style {"inputs": [...], "outputs": [...]};
assert as one code string or a list of them (MBPP); function_call as a list of {args, kwargs, expected} or
APPS-style {"fn_name", "inputs", "outputs"}. Any of these may arrive JSON-encoded in a string.
"""

from __future__ import annotations

from typing import Any

import orjson

from amd_assets.ingest.errors import RowError, missing, wrong_type
from amd_assets.records import MISSING, get_path
from amd_assets.registry.model import TestsSpec


def canonical_tests(spec: TestsSpec, record: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical test object, or None when the row has no tests."""
    value = get_path(record, spec.field)
    if value is MISSING or value is None:
        return None
    value = _decode_json_string(spec, value)
    entry_point = _optional_text(record, spec.entry_point)
    setup = _optional_text(record, spec.setup)
    if spec.kind == "stdio":
        cases = _stdio_cases(spec.field, value)
    elif spec.kind == "assert":
        cases = _assert_cases(spec, value, entry_point)
    else:
        if isinstance(value, dict) and entry_point is None:
            entry_point = value.get("fn_name")
        cases = _call_cases(spec.field, value)
        if not entry_point:
            raise RowError("missing_field", spec.entry_point or spec.field, "function_call tests need an entry point")
    return {"kind": spec.kind, "language": spec.language, "entry_point": entry_point, "setup": setup, "cases": cases}


def _decode_json_string(spec: TestsSpec, value: Any) -> Any:
    """Tests often arrive JSON-encoded in a string column; assert code is a string of its own."""
    if not isinstance(value, str):
        return value
    looks_like_json = value.lstrip()[:1] in ("[", "{")
    if spec.kind == "assert" and not looks_like_json:
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as error:
        if spec.kind == "assert":
            return value
        raise RowError("bad_value", spec.field, f"tests in {spec.field!r} are not valid JSON: {error}") from None


def _optional_text(record: dict[str, Any], path: str | None) -> str | None:
    if path is None:
        return None
    value = get_path(record, path)
    if value is MISSING or value is None:
        return None
    if not isinstance(value, str):
        raise wrong_type(path, "a string", value)
    return value


def _text(field: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "\n".join(value)
    raise wrong_type(field, "a string or a list of strings", value)


def _stdio_cases(field: str, value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict) and "inputs" in value:
        inputs, outputs = value.get("inputs"), value.get("outputs")
        if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
            raise RowError("bad_value", field, f"{field!r}: 'inputs' and 'outputs' must be lists of equal length")
        return [{"input": _text(field, i), "output": _text(field, o)} for i, o in zip(inputs, outputs, strict=True)]
    if isinstance(value, list) and all(isinstance(case, dict) for case in value):
        cases = []
        for case in value:
            if "input" not in case or "output" not in case:
                raise missing(f"{field}[].input/output")
            cases.append({"input": _text(field, case["input"]), "output": _text(field, case["output"])})
        return cases
    raise wrong_type(field, "a list of {input, output} or {inputs, outputs}", value)


def _assert_cases(spec: TestsSpec, value: Any, entry_point: str | None) -> list[dict[str, str]]:
    if isinstance(value, str):
        codes = [value]
    elif isinstance(value, list) and all(isinstance(code, str) for code in value):
        codes = value
    else:
        raise wrong_type(spec.field, "assert code or a list of assert code strings", value)
    if spec.call:
        if "{entry_point}" in spec.call and not entry_point:
            raise missing(spec.entry_point or "entry_point")
        call = spec.call.replace("{entry_point}", entry_point or "")
        codes = [f"{code.rstrip()}\n\n{call}\n" for code in codes]
    return [{"code": code} for code in codes]


def _call_cases(field: str, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and "inputs" in value:
        inputs, outputs = value.get("inputs"), value.get("outputs")
        if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != len(outputs):
            raise RowError("bad_value", field, f"{field!r}: 'inputs' and 'outputs' must be lists of equal length")
        return [
            {"args": args if isinstance(args, list) else [args], "kwargs": {}, "expected": expected}
            for args, expected in zip(inputs, outputs, strict=True)
        ]
    if isinstance(value, list) and all(isinstance(case, dict) for case in value):
        cases = []
        for case in value:
            if "expected" not in case or not isinstance(case.get("args", []), list):
                raise RowError("bad_value", field, f"{field!r}: each case needs 'args' (a list) and 'expected'")
            kwargs = case.get("kwargs") or {}
            if not isinstance(kwargs, dict):
                raise wrong_type(f"{field}[].kwargs", "an object", kwargs)
            cases.append({"args": case.get("args", []), "kwargs": kwargs, "expected": case["expected"]})
        return cases
    raise wrong_type(field, "a list of {args, kwargs, expected} or {fn_name, inputs, outputs}", value)
