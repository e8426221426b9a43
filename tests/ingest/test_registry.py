"""The source registry is validated at load, with errors that name the source and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from amd_assets.registry import RegistryError, SourceFileError, load_registry
from amd_assets.registry.load import sniff_format

VALID = """
sources:
  good:
    path: data/*.jsonl
    licence: MIT
    category: math
    fields: {prompt: question}
"""


def write_registry(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    return path


def test_repo_registry_has_the_sample_sources(repo_registry):
    assert set(repo_registry.names) >= {"gsm8k", "math", "humaneval", "mbpp", "malformed"}
    for name in repo_registry.names:
        assert repo_registry.files(name), name


def test_valid_entry_gets_defaults(tmp_path):
    registry = load_registry(write_registry(tmp_path, VALID))
    spec = registry.get("good")
    assert (spec.priority, spec.language, spec.format) == (50, "en", None)
    assert spec.category.default == "math"
    assert spec.fields.prompt.field == "question"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("path: x.jsonl\n    category: math\n    fields: {prompt: q}", "source 'bad': field 'licence': Field required"),
        (
            "path: x.jsonl\n    licence: MIT\n    category: poetry\n    fields: {prompt: q}",
            "source 'bad': field 'category'",
        ),
        ("path: x.jsonl\n    licence: MIT\n    category: math\n    fields: {}", "source 'bad': field 'fields.prompt'"),
        (
            "path: x.jsonl\n    licence: MIT\n    category: math\n    fields: {prompt: q, colour: red}",
            "source 'bad': field 'fields.colour': Extra inputs are not permitted",
        ),
        (
            "path: x.jsonl\n    licence: MIT\n    category: math\n    format: xml\n    fields: {prompt: q}",
            "source 'bad': field 'format'",
        ),
        (
            "path: x.jsonl\n    licence: MIT\n    category: math\n    fields: {prompt: {field: q, regex: 'no group'}}",
            "regex needs a capture group",
        ),
        (
            "path: x.jsonl\n    licence: MIT\n    category: code\n"
            "    fields:\n      prompt: q\n      tests: {kind: fuzz, field: t}",
            "source 'bad': field 'fields.tests.kind'",
        ),
        (
            "path: x.jsonl\n    licence: MIT\n    category: math\n    difficulty: {field: lvl, map: {'1': trivial}}\n"
            "    fields: {prompt: q}",
            "difficulty values ['trivial']",
        ),
    ],
)
def test_invalid_entries_name_source_and_field(tmp_path, entry, message):
    path = write_registry(tmp_path, VALID + f"  bad:\n    {entry}\n")
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_bad_source_name_and_bad_yaml(tmp_path):
    with pytest.raises(RegistryError, match="source 'Bad Name': field 'name'"):
        load_registry(write_registry(tmp_path, VALID.replace("good:", "Bad Name:")))
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(write_registry(tmp_path, "sources: [unclosed"))
    with pytest.raises(RegistryError, match="non-empty mapping"):
        load_registry(write_registry(tmp_path, "sources: []"))
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "missing.yaml")


def test_files_resolve_globs_relative_to_the_registry(tmp_path):
    registry = load_registry(write_registry(tmp_path, VALID))
    with pytest.raises(SourceFileError, match=r"source 'good': no file matches 'data/\*\.jsonl'"):
        registry.files("good")
    (tmp_path / "data").mkdir()
    for name in ("b.jsonl", "a.jsonl"):
        (tmp_path / "data" / name).write_text("{}\n")
    assert [p.name for p in registry.files("good")] == ["a.jsonl", "b.jsonl"]
    assert registry.display_path(registry.files("good")[0]) == "data/a.jsonl"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.jsonl", ("jsonl", None)),
        ("x.JSONL.GZ", ("jsonl", "gz")),
        ("x.ndjson.zst", ("jsonl", "zst")),
        ("x.parquet", ("parquet", None)),
        ("x.csv.gz", ("csv", "gz")),
        ("x.txt", (None, None)),
    ],
)
def test_format_is_sniffed_from_the_name(name, expected):
    assert sniff_format(name) == expected
