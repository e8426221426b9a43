"""Existing code traces of the real samples, taken through the candidate path into the real sandbox."""

from __future__ import annotations

import json

import pytest

from amd_assets.verification.candidates import candidates
from amd_assets.verification.code_verifier import extract_program
from resources.lakehouse import LakehouseResource
from resources.sandbox import SandboxResource
from tests.pipeline import Pipeline


@pytest.fixture(scope="module")
def humaneval(tmp_path_factory) -> list:
    pipeline = Pipeline(LakehouseResource(root=str(tmp_path_factory.mktemp("lakehouse"))))
    pipeline.all(["humaneval"])
    return list(candidates(pipeline.lakehouse, "humaneval"))


def test_every_humaneval_trace_is_a_candidate_with_its_tests(humaneval):
    assert len(humaneval) == 164
    assert {c.origin for c in humaneval} == {"existing"}
    assert all(c.test_cases and extract_program(c.answer) for c in humaneval)


def test_correct_traces_pass_and_bugged_ones_fail_in_the_sandbox(humaneval):
    sandbox = SandboxResource()
    correct = [(extract_program(c.answer), c.test_cases) for c in humaneval]
    # A planted bug: the entry point is rebound to a function that answers a constant string.
    bugged = [
        (f"{program}\n{json.loads(tests)['entry_point']} = lambda *args, **kwargs: 'bug'\n", tests)
        for program, tests in correct
    ]
    try:
        passed = {i: v.passed for i, v in sandbox.verify_many(correct)}
        bugged_passed = {i: v.passed for i, v in sandbox.verify_many(bugged)}
    finally:
        sandbox.close()
    assert sum(passed.values()) == 164
    assert sum(bugged_passed.values()) == 0
