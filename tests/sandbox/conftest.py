"""Shared fixtures for the sandbox tests.

The suite needs bubblewrap and root (each sandbox runs as its own unprivileged uid): when bwrap is missing the
fixtures fail with the install command instead of skipping, so CI can never silently skip the sandbox. Tests
never run generated or hostile code outside a sandbox, and the only network traffic they make is to
listeners they open themselves on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resources.sandbox import SandboxResource
from tests.sandbox.helpers import TEST_LIMITS


def _make(mode: str) -> Iterator[SandboxResource]:
    resource = SandboxResource(mode=mode, **TEST_LIMITS)
    resource.check_available()  # fails (never skips) with the install command if bwrap is missing
    try:
        yield resource
    finally:
        resource.close()


@pytest.fixture(scope="session")
def zygote_sandbox() -> Iterator[SandboxResource]:
    yield from _make("zygote")


@pytest.fixture(scope="session")
def launch_sandbox() -> Iterator[SandboxResource]:
    yield from _make("launch")


@pytest.fixture(scope="session", params=["zygote", "launch"])
def sandbox(request: pytest.FixtureRequest) -> SandboxResource:
    """Both isolation modes: every test using this runs twice."""
    return request.getfixturevalue(f"{request.param}_sandbox")
