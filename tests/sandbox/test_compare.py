"""Host-side comparison and test-spec parsing (no sandbox involved)."""

from __future__ import annotations

import pytest

from resources.sandbox.compare import compare_result, compare_stdout, tokens_match, values_match
from resources.sandbox.testspec import TestSpecError, parse_tests, sandbox_cases, strict_assert_code


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("3\n", "3"),
        ("1 2 3\n", "1   2\t3  \n\n\n"),
        ("0.5", "0.5000001"),
        ("1000000", "1000000"),
        ("1e6", "1000000.4"),  # relative tolerance
        ("abc", "abc"),
        ("a\n\nb", "a\n\nb\n"),
        ("line\r\n", "line\n"),
        ("nan", "nan"),  # an identical token is identical text, whatever it says
        ("1 2", "1\n2\n"),  # a token stream: line breaks are whitespace like any other
        ("1\n2\n3\n", "1 2 3"),
        ("a\n\nb", "a\nb"),
    ],
)
def test_stdout_matches(expected: str, got: str) -> None:
    assert compare_stdout(expected, got) is None


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("3", "4"),
        ("Yes", "yes"),  # case-sensitive
        ("1 2", "1 2 3"),  # extra token
        ("1\n2", "1"),  # missing token
        ("1", "1\n2"),  # extra token
        ("1 2", "12"),  # whitespace separates tokens: it cannot vanish
        ("1 2", "2 1"),
        ("0.5", "0.5001"),
        ("123456789012345678", "123456789012345679"),  # integers are exact, no float tolerance
        ("1.0", "nan"),
        ("1.0", "inf"),
        ("1e308", "1e999"),  # overflows to inf: rejected
        ("5", ""),
        ("", "5"),
    ],
)
def test_stdout_mismatches(expected: str, got: str) -> None:
    assert compare_stdout(expected, got) is not None


def test_tokens_are_not_floats_when_not_numbers() -> None:
    assert not tokens_match("0x10", "16")
    assert not tokens_match("1_000", "1000")
    assert tokens_match("+7", "7")


@pytest.mark.parametrize(
    ("expected", "got_json", "ok"),
    [
        (4, b"4", True),
        (3.0, b"3.0000001", True),
        (3, b"3.0", True),
        ([1, [2, 3]], b"[1,[2,3]]", True),
        ({"a": 1.5}, b'{"a":1.5000000001}', True),
        (True, b"true", True),
        (True, b"1", False),  # bool only equals bool
        (1, b"true", False),
        (None, b"null", True),
        ("x", b'"x"', True),
        ([1, 2], b"[1,2,3]", False),
        ({"a": 1}, b'{"a":1,"b":2}', False),
        (1.0, b"NaN", False),
        (1e308, b"Infinity", False),
        (2, b"not json", False),
        (10**30, b"1000000000000000000000000000001", False),  # two ints: exact
    ],
)
def test_function_results(expected: object, got_json: bytes, ok: bool) -> None:
    assert (compare_result(expected, got_json) is None) is ok


def test_values_match_overflow_is_a_mismatch() -> None:
    assert not values_match(1.0, 10**400)


def test_empty_test_list_fails_closed() -> None:
    with pytest.raises(TestSpecError, match="empty test list"):
        parse_tests({"kind": "stdio", "cases": []}, 10)
    with pytest.raises(TestSpecError, match="empty test list"):
        parse_tests({"kind": "stdio", "cases": [{"input": "", "output": ""}]}, 0)


@pytest.mark.parametrize(
    "tests",
    [
        "not json",
        [],
        {"kind": "unknown", "cases": [{}]},
        {"kind": "stdio", "language": "rust", "cases": [{"input": "", "output": ""}]},
        {"kind": "assert", "language": "cpp", "cases": [{"code": "assert 1"}]},
        {"kind": "function_call", "entry_point": "not an identifier", "cases": [{"expected": 1}]},
        {"kind": "function_call", "entry_point": "f", "cases": [{"args": [1]}]},
        {"kind": "stdio", "cases": [{"input": "1"}]},
        {"kind": "assert", "cases": [{"code": "   "}]},
    ],
)
def test_invalid_specs(tests: object) -> None:
    with pytest.raises(TestSpecError):
        parse_tests(tests, 10)  # type: ignore[arg-type]


def test_only_first_max_tests_and_expected_never_sent() -> None:
    spec = parse_tests(
        '{"kind": "stdio", "cases": ['
        + ",".join(f'{{"input": "{i}", "output": "SECRET{i}"}}' for i in range(15))
        + "]}",
        10,
    )
    assert len(spec.cases) == 10
    sent = sandbox_cases(spec, strict_eq=True)
    assert sent == [{"input": str(i)} for i in range(10)]
    assert "SECRET" not in repr(sent)
    calls = parse_tests({"kind": "function_call", "entry_point": "f", "cases": [{"args": [1], "expected": 99}]}, 10)
    assert sandbox_cases(calls, strict_eq=True) == [{"args": [1], "kwargs": {}}]


def test_strict_assert_rewrite() -> None:
    code = (
        "def check(c):\n    assert c(1) == 2\n    assert c(2) != 3, 'msg'\n    x = c(1) == 2\n    assert 1 < 2 == 2\n"
    )
    rewritten = strict_assert_code(code)
    assert "assert __amd_strict_eq__(c(1), 2)" in rewritten
    assert "assert not __amd_strict_eq__(c(2), 3), 'msg'" in rewritten
    assert "x = c(1) == 2" in rewritten  # only inside asserts
    assert "1 < 2 == 2" in rewritten  # chained comparisons are left alone
    assert strict_assert_code("def (:") == "def (:"  # unparsable: unchanged, the harness reports it
