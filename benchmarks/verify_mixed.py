"""The `mixed` mode of benchmarks/verify.py: time to verify a mix of math responses (the pair mix of
benchmarks/verify_math.py) and HumanEval programs the way `response_verdicts` does: every rule for every
response, math through the pool, code through the sandbox.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

from verify_math import build_math_pairs

from amd_assets.verification.math.pool import MathVerifierPool

HUMANEVAL = Path(__file__).resolve().parents[1] / "data" / "samples" / "humaneval" / "humaneval.jsonl"


def build_mixed(count: int, seed: int) -> list[tuple[str, str, str | None, str | None]]:
    """(prompt, response text, reference, tests JSON): ~60% math responses, ~40% HumanEval programs (half with a
    planted bug), every one in the release format with a short reasoning block."""
    rng = random.Random(seed)
    maths = build_math_pairs(count, seed)
    humaneval = [json.loads(line) for line in HUMANEVAL.read_text().splitlines()]
    mixed: list[tuple[str, str, str | None, str | None]] = []
    for index in range(count):
        if rng.random() < 0.6:
            response, reference = maths[index]
            text = response if "<answer>" in response else f"<think>\nWork.\n</think>\n<answer>\n{response}\n</answer>"
            mixed.append(("Solve the problem.", text, reference, None))
            continue
        problem = rng.choice(humaneval)
        program = problem["prompt"] + problem["canonical_solution"]
        if rng.random() < 0.5:
            program += f"\n{problem['entry_point']} = lambda *args, **kwargs: None\n"
        tests = {
            "kind": "assert",
            "language": "python",
            "entry_point": problem["entry_point"],
            "setup": None,
            "cases": [{"code": problem["test"] + f"\n\ncheck({problem['entry_point']})\n"}],
        }
        text = f"<think>\nWrite the function.\n</think>\n<answer>\n```python\n{program}\n```\n</answer>"
        mixed.append((problem["prompt"], text, None, json.dumps(tests)))
    return mixed


def bench_mixed(count: int, seed: int) -> dict[str, object]:
    """Time to verify `count` mixed responses the way `response_verdicts` does: every rule for every response,
    math through the pool, code through the sandbox (2 workers each, on the same 2 cores)."""
    from amd_assets.verification.code_verifier import extract_program
    from amd_assets.verification.rules import run_rules
    from resources.sandbox import SandboxResource

    mixed = build_mixed(count, seed)
    run_rules("warm up", "<think>x</think><answer>y</answer>")  # the language detector loads once (~2 s)
    started = time.perf_counter()
    rule_verdicts = Counter(v.verdict for prompt, text, _, _ in mixed for v in run_rules(prompt, text))
    rules_s = time.perf_counter() - started
    math_items = [(text, reference) for _, text, reference, _ in mixed if reference is not None]
    code_items = [(extract_program(text.split("<answer>")[-1]) or "", tests) for _, text, _, tests in mixed if tests]
    with MathVerifierPool(workers=2) as pool:
        started = time.perf_counter()
        math_verdicts = Counter(v.verdict for v in pool.verify_many(math_items))
        math_s = time.perf_counter() - started
    sandbox = SandboxResource()
    try:
        started = time.perf_counter()
        code_verdicts = Counter(v.verdict.value for _, v in sandbox.verify_many(code_items))
        code_s = time.perf_counter() - started
    finally:
        sandbox.close()
    total = rules_s + math_s + code_s
    return {
        "responses": count,
        "math": len(math_items),
        "code": len(code_items),
        "seconds_rules": round(rules_s, 1),
        "seconds_math": round(math_s, 1),
        "seconds_code": round(code_s, 1),
        "seconds_total": round(total, 1),
        "responses_per_s": round(count / total, 1),
        "rule_verdicts": dict(rule_verdicts),
        "math_verdicts": dict(math_verdicts),
        "code_verdicts": dict(code_verdicts),
    }
