"""Candidates for tests that need one without a lakehouse: a teacher response to problem "p" of source "s"."""

from __future__ import annotations

from typing import Any

from amd_assets.verification.candidates import Candidate


def teacher_candidate(**fields: Any) -> Candidate:
    """`fields` give what the test is about (category, prompt, answer, ...); the rest is a fixed provenance, and
    no reference answer, test cases or think part unless given."""
    defaults: dict[str, Any] = {
        "response_id": "r",
        "problem_id": "p",
        "source": "s",
        "source_file": "f",
        "source_row": 1,
        "origin": "teacher",
        "reference_answer": None,
        "test_cases": None,
        "think": None,
    }
    return Candidate(**{**defaults, **fields})
