"""Field mapping onto the canonical problem: paths, templates, extraction, labels, tests, traces."""

from __future__ import annotations

import orjson
import pytest

from amd_assets.ingest.errors import RowError
from amd_assets.ingest.normalize import normalize_record
from amd_assets.ingest.traces import split_response
from amd_assets.latex import last_boxed
from amd_assets.registry.model import SourceSpec


def spec(**overrides: object) -> SourceSpec:
    base: dict[str, object] = {
        "name": "s",
        "path": "x.jsonl",
        "licence": "MIT",
        "category": "math",
        "fields": {"prompt": "q"},
    }
    base.update(overrides)
    return SourceSpec.model_validate(base)


def test_nested_paths_templates_and_unmapped_metadata():
    source = spec(
        fields={"prompt": {"template": "{doc.title}: {doc.lines} {{literal}}"}, "reference_answer": "doc.ans.0"}
    )
    row = normalize_record(source, {"doc": {"title": "T", "lines": ["a", "b"], "ans": [42]}, "extra": 1})
    assert row["prompt"] == "T: a\nb {literal}"
    assert row["reference_answer"] == "42"
    assert orjson.loads(row["metadata"]) == {"extra": 1}


def test_regex_and_last_boxed_extraction():
    gsm = spec(fields={"prompt": "q", "reference_answer": {"field": "a", "regex": r"####\s*(?P<value>[^\n]+?)\s*$"}})
    assert normalize_record(gsm, {"q": "x", "a": "work\n#### 1,234 "})["reference_answer"] == "1,234"
    math = spec(fields={"prompt": "q", "reference_answer": {"field": "s", "extract": "last_boxed"}})
    text = r"so $\boxed{1}$ then $\boxed{\frac{1}{\sqrt{2}}}$."
    assert normalize_record(math, {"q": "x", "s": text})["reference_answer"] == r"\frac{1}{\sqrt{2}}"
    with pytest.raises(RowError, match="no \\\\boxed"):
        normalize_record(math, {"q": "x", "s": "no box"})


def test_labels_map_default_and_reject_unknown_values():
    source = spec(
        category={"field": "domain", "map": {"Algebra": "math", "Python": "code"}, "default": "general"},
        difficulty={"field": "level", "map": {"Level 1": "very easy", "Level ?": None}},
        subcategory={"field": "domain"},
    )
    row = normalize_record(source, {"q": "x", "domain": "Python", "level": "Level 1"})
    assert (row["category"], row["difficulty"], row["subcategory"]) == ("code", "very easy", "Python")
    assert normalize_record(source, {"q": "x", "level": "Level ?"})["category"] == "general"
    assert normalize_record(source, {"q": "x", "level": "Level ?"})["difficulty"] is None
    with pytest.raises(RowError) as raised:
        normalize_record(source, {"q": "x", "domain": "Poetry"})
    assert (raised.value.error_type, raised.value.field) == ("bad_value", "domain")


@pytest.mark.parametrize(
    ("record", "error_type", "field"),
    [
        ({}, "missing_field", "q"),
        ({"q": None}, "missing_field", "q"),
        ({"q": 3}, "wrong_type", "q"),
        ({"q": "x", "a": [1]}, "wrong_type", "a"),
        ({"q": "x", "a": True}, "wrong_type", "a"),
    ],
)
def test_bad_rows_raise_with_type_and_field(record, error_type, field):
    with pytest.raises(RowError) as raised:
        normalize_record(spec(fields={"prompt": "q", "reference_answer": "a"}), record)
    assert (raised.value.error_type, raised.value.field) == (error_type, field)


def canonical_tests_for(kind: str, value: object, **extra: str) -> dict[str, object]:
    source = spec(category="code", fields={"prompt": "q", "tests": {"kind": kind, "field": "t", **extra}})
    row = normalize_record(source, {"q": "x", "t": value, "ep": "f", "setup": "import math"})
    return {"count": row["num_test_cases"], **orjson.loads(row["test_cases"])}


def test_stdio_tests_from_apps_style_json_string_and_case_lists():
    apps = canonical_tests_for(
        "stdio", orjson.dumps({"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", ["7"]]}).decode()
    )
    assert apps["cases"] == [{"input": "1 2\n", "output": "3\n"}, {"input": "3 4\n", "output": "7"}]
    assert (apps["kind"], apps["count"], apps["language"]) == ("stdio", 2, "python")
    listed = canonical_tests_for("stdio", [{"input": "a", "output": "b"}])
    assert listed["cases"] == [{"input": "a", "output": "b"}]
    with pytest.raises(RowError, match="equal length"):
        canonical_tests_for("stdio", {"inputs": ["1"], "outputs": []})
    with pytest.raises(RowError, match="not valid JSON"):
        canonical_tests_for("stdio", "{broken")


def test_assert_tests_with_setup_entry_point_and_call():
    humaneval = canonical_tests_for(
        "assert",
        "def check(candidate):\n    assert candidate(1) == 2\n",
        entry_point="ep",
        setup="setup",
        call="check({entry_point})",
    )
    assert humaneval["entry_point"] == "f"
    assert humaneval["setup"] == "import math"
    assert humaneval["cases"][0]["code"].endswith("\n\ncheck(f)\n")
    mbpp = canonical_tests_for("assert", ["assert f(1) == 2", "assert f(2) == 3"])
    assert [case["code"] for case in mbpp["cases"]] == ["assert f(1) == 2", "assert f(2) == 3"]


def test_function_call_tests():
    apps = canonical_tests_for("function_call", {"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [3, 7]})
    assert apps["entry_point"] == "add"
    assert apps["cases"][1] == {"args": [3, 4], "kwargs": {}, "expected": 7}
    explicit = canonical_tests_for(
        "function_call", [{"args": [1], "kwargs": {"k": 2}, "expected": [1, 2]}], entry_point="ep"
    )
    assert explicit["entry_point"] == "f"
    with pytest.raises(RowError, match="entry point"):
        canonical_tests_for("function_call", [{"args": [1], "expected": 1}])


def test_trace_from_a_full_response_or_separate_fields():
    full = spec(fields={"prompt": "q", "trace": {"response": "r", "model": "deepseek-r1"}})
    row = normalize_record(full, {"q": "x", "r": "<think>\nhmm\n</think>\n<answer>\n42\n</answer>"})
    assert (row["trace_think"], row["trace_answer"], row["trace_origin"], row["trace_model"]) == (
        "hmm",
        "42",
        "existing",
        "deepseek-r1",
    )
    split = spec(fields={"prompt": "q", "trace": {"think": "t", "answer": "a"}})
    assert normalize_record(split, {"q": "x", "t": "why", "a": "so"})["trace_think"] == "why"
    none = normalize_record(split, {"q": "x"})
    assert (none["trace_answer"], none["trace_origin"], none["trace_model"]) == (None, None, None)


def test_split_response_and_last_boxed_edge_cases():
    assert split_response("plain answer") == (None, "plain answer")
    assert split_response("<think>unfinished") == ("unfinished", "")
    assert last_boxed(r"\boxed{a{b}c} and \fbox{d}") == "d"
    assert last_boxed(r"\boxed 5$") == "5"
    assert last_boxed(r"\boxed{unclosed") is None
