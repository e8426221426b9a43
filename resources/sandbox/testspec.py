"""Parsing the canonical test-case JSON and splitting it into what enters the sandbox and what never does.

Accepted shapes (the `test_cases` column of normalized_problems, as a dict or a JSON string)::

    {"kind": "stdio", "language": "python"|"cpp", "cases": [{"input": str, "output": str}, ...]}
    {"kind": "assert", "language": "python", "entry_point": str|None, "setup": str|None,
     "cases": [{"code": str}, ...]}
    {"kind": "function_call", "language": "python", "entry_point": str,
     "cases": [{"args": [...], "kwargs": {...}, "expected": <json>}, ...]}

Only the first `max_tests` cases are used. stdin texts, assert code and call arguments go into the sandbox;
`output` and `expected` stay on the host (assert code necessarily carries its own expected values: it is the
test's contract and runs inside).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

KINDS = ("stdio", "assert", "function_call")
LANGUAGES = ("python", "cpp")
STRICT_EQ_NAME = "__amd_strict_eq__"


class TestSpecError(ValueError):
    """The test specification is unusable (this includes an empty test list: verification fails closed)."""

    __test__ = False


@dataclass(frozen=True, slots=True)
class TestSpec:
    __test__ = False

    kind: str
    language: str
    entry_point: str | None
    setup: str | None
    cases: tuple[Mapping[str, Any], ...]


def parse_tests(tests: Mapping[str, Any] | str | bytes, max_tests: int) -> TestSpec:
    """Validate `tests` and keep its first `max_tests` cases. Raises TestSpecError."""
    if isinstance(tests, str | bytes):
        try:
            tests = json.loads(tests)
        except ValueError as exc:
            raise TestSpecError(f"test cases are not valid JSON: {exc}") from exc
    if not isinstance(tests, Mapping):
        raise TestSpecError("test cases must be a JSON object")
    kind = tests.get("kind")
    language = tests.get("language") or "python"
    if kind not in KINDS:
        raise TestSpecError(f"unknown test kind {kind!r}; expected one of {KINDS}")
    if language not in LANGUAGES:
        raise TestSpecError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
    if language == "cpp" and kind != "stdio":
        raise TestSpecError("C++ programs are only tested with stdio cases")
    entry_point = tests.get("entry_point")
    if kind == "function_call" and not (isinstance(entry_point, str) and entry_point.isidentifier()):
        raise TestSpecError(f"function_call tests need an identifier entry_point, got {entry_point!r}")
    setup = tests.get("setup")
    if setup is not None and not isinstance(setup, str):
        raise TestSpecError("setup must be a string or null")
    cases = tests.get("cases")
    if not isinstance(cases, list):
        raise TestSpecError("cases must be a list")
    selected = tuple(_check_case(kind, i, case) for i, case in enumerate(cases[: max(max_tests, 0)]))
    if not selected:
        raise TestSpecError("empty test list: nothing to verify (fails closed)")
    return TestSpec(kind, language, entry_point, setup, selected)


def _check_case(kind: str, index: int, case: Any) -> Mapping[str, Any]:
    if not isinstance(case, Mapping):
        raise TestSpecError(f"case {index} is not an object")
    if kind == "stdio":
        if not isinstance(case.get("input", ""), str) or not isinstance(case.get("output"), str):
            raise TestSpecError(f"stdio case {index} needs string 'input' and 'output'")
    elif kind == "assert":
        if not isinstance(case.get("code"), str) or not case["code"].strip():
            raise TestSpecError(f"assert case {index} needs non-empty string 'code'")
    else:
        if not isinstance(case.get("args", []), list) or not isinstance(case.get("kwargs", {}), Mapping):
            raise TestSpecError(f"function_call case {index}: 'args' must be a list and 'kwargs' an object")
        if "expected" not in case:
            raise TestSpecError(f"function_call case {index} has no 'expected' value")
    return case


def sandbox_cases(spec: TestSpec, strict_eq: bool) -> list[dict[str, Any]]:
    """The per-case data the harness receives: inputs only, never expected outputs."""
    if spec.kind == "stdio":
        return [{"input": case.get("input") or ""} for case in spec.cases]
    if spec.kind == "assert":
        return [{"code": strict_assert_code(case["code"]) if strict_eq else case["code"]} for case in spec.cases]
    return [{"args": list(case.get("args", [])), "kwargs": dict(case.get("kwargs", {}))} for case in spec.cases]


@lru_cache(maxsize=4096)
def strict_assert_code(code: str) -> str:
    """Rewrite ``a == b`` / ``a != b`` inside assert statements to the harness's strict comparison.

    Defeats the classic reward hack of returning an object whose ``__eq__`` always says True. Cached because
    many responses share one problem's tests. Code that does not parse is returned unchanged (the harness
    reports the SyntaxError).
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code
    tree = _AssertRewriter().visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


class _AssertRewriter(ast.NodeTransformer):
    def visit_Assert(self, node: ast.Assert) -> ast.Assert:
        node.test = _EqRewriter().visit(node.test)
        return node


class _EqRewriter(ast.NodeTransformer):
    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            return node
        call = ast.Call(
            func=ast.Name(id=STRICT_EQ_NAME, ctx=ast.Load()), args=[node.left, node.comparators[0]], keywords=[]
        )
        return call if isinstance(node.ops[0], ast.Eq) else ast.UnaryOp(op=ast.Not(), operand=call)
