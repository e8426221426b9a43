"""Start-up cost is user-facing: every UI step, run and `amd` command imports the code location first.

Each check runs a fresh interpreter. What is imported is exact (a heavy library at module level fails here on
any machine); the CPU time is held under a generous bound, with `-X importtime`'s costliest modules in the
failure message so the culprit is named.
"""

from __future__ import annotations

import json
import subprocess
import sys

from amd_assets.registry import REPO_ROOT

# Libraries that cost 0.2-2 s each to import; each is imported where it is used, never by the code location.
HEAVY = [
    "dagster_dbt",
    "dbt",
    "pandera",
    "polars",
    "matplotlib",
    "openai",
    "httpx",
    "math_verify",
    "sympy",
    "lingua",
    "rensa",
    "datasketch",
    "vllm",
    "playwright",
    "wordllama",
]
# Idle, the import takes ~2.3 s of CPU on the 2-core dev machine (dagster itself ~1.6 s); ~9 s before issue 11.
CPU_BOUND_S = 6.0
PROBE = """
import json, resource, sys
{statement}
usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(json.dumps({{"cpu": sum(u.ru_utime + u.ru_stime for u in usage), "modules": sorted(sys.modules)}}))
"""


def probe(statement: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def costliest_imports(statement: str, top: int = 25) -> str:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True)
    rows = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    timed = sorted(((int(r[1]), r[2].rstrip()) for r in rows if r[1].strip().isdigit()), reverse=True)
    return "\n".join(f"{us / 1e6:7.3f} s cumulative  {name}" for us, name in timed[:top])


def heavy_in(modules: list[str]) -> list[str]:
    return sorted({name.split(".")[0] for name in modules} & set(HEAVY))


def test_loading_the_code_location_imports_no_heavy_library_and_parses_no_dbt():
    loaded = probe("import amd_assets.definitions")
    assert not heavy_in(loaded["modules"]), costliest_imports("import amd_assets.definitions")
    assert loaded["cpu"] < CPU_BOUND_S, (
        f"importing the definitions took {loaded['cpu']:.2f} s of CPU (bound {CPU_BOUND_S} s); costliest:\\n"
        + costliest_imports("import amd_assets.definitions")
    )


def test_amd_sql_answers_without_importing_dagster():
    statement = (
        "from amd_assets.cli.main import main; main(['--lakehouse', '/nonexistent/lakehouse', 'sql', 'SELECT 1'])"
    )
    loaded = probe(statement)
    assert not {"dagster", "dagster_duckdb"} & {name.split(".")[0] for name in loaded["modules"]}
    assert not heavy_in(loaded["modules"])
