"""The sandbox as a Dagster resource inside a real (in-process) materialization."""

from __future__ import annotations

import dagster as dg

from resources.sandbox import SandboxResource


def test_resource_in_an_asset() -> None:
    @dg.asset
    def code_verdicts(sandbox: SandboxResource) -> dict[str, str]:
        samples = [
            ("print(int(input()) * 2)", {"kind": "stdio", "cases": [{"input": "21", "output": "42"}]}),
            ("while True: pass", {"kind": "stdio", "cases": [{"input": "", "output": "x"}]}),
        ]
        return {str(index): str(verdict.verdict) for index, verdict in sandbox.verify_many(samples)}

    result = dg.materialize([code_verdicts], resources={"sandbox": SandboxResource(time_limit_s=1.0, workers=2)})
    assert result.success
    assert result.output_for_node("code_verdicts") == {"0": "pass", "1": "time_limit"}
