"""Verification throughput (issue 6). Not part of the test suite.

    uv run --frozen python benchmarks/verify.py math [--pairs 10000] [--workers 2] [--seed 6]
    uv run --frozen python benchmarks/verify.py mixed [--responses 10000]

`math`: the same (response, reference) pairs, built from the MATH sample (data/samples/math), are verified
  1. bare: single process, plain math-verify per pair (our answer extraction, then `parse(reference)`,
     `parse(answer)`, `verify` with math-verify's default timeouts; no reference cache, no fast paths);
  2. pool: `MathVerifierPool` with N workers, fast paths on, reference parsed once per problem per worker,
     with its verdict memo (default) and without it (the exact numeric path alone).
It prints verdicts/s, the speed-up over bare, the share of each path and the verdict agreement rate (must be 100%).
Pool start-up (worker imports + parser warm-up) is reported separately and excluded from verdicts/s.

Pair mix (reference = last \\boxed{} of the sample solution): the full solution (correct), the same answer
reformatted (0.5 / \\frac{1}{2} / 1/2 / \\dfrac, 3 / 3.0, spacing, \\dfrac vs \\frac), a wrong answer (another
problem's answer, or a numeric answer off by one), and a few responses without any answer.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from amd_assets.verification.math_answers import last_boxed, parse_simple_number, to_parse_input
from amd_assets.verification.math_verifier import MATH_VERIFIER_VERSION, MathVerifierPool, extract_answer

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "math" / "math_sample.jsonl.gz"
HUMANEVAL = Path(__file__).resolve().parents[1] / "data" / "samples" / "humaneval" / "humaneval.jsonl"


def _load_sample() -> list[tuple[str, str]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [(row["solution"], ref) for row in rows if (ref := last_boxed(row["solution"]))]


def _reformat(ref: str, rng: random.Random) -> str:
    """An equivalent spelling of `ref` (exact numeric rewrites, or LaTeX-only changes)."""
    number = parse_simple_number(ref)
    if number is not None:
        value, _ = number
        sign = "-" if value < 0 else ""
        mag = abs(value)
        forms = [f"\\frac{{{mag.numerator}}}{{{mag.denominator}}}", f"{mag.numerator}/{mag.denominator}"]
        forms.append(f"\\dfrac{{{2 * mag.numerator}}}{{{2 * mag.denominator}}}")
        if mag.denominator == 1:
            forms += [f"{mag.numerator}.0", str(mag.numerator)]
        elif 10**6 % mag.denominator == 0:  # terminating decimal
            forms.append(f"{float(mag):g}")
        return sign + rng.choice(forms)
    if "\\frac" in ref:
        return ref.replace("\\frac", "\\dfrac")
    return ref.replace(",", ", ").replace("+", " + ") if rng.random() < 0.5 else f" {ref} "


def _wrong(ref: str, refs: list[str], rng: random.Random) -> str:
    number = parse_simple_number(ref)
    if number is not None and rng.random() < 0.5:
        value = number[0] + 1
        return str(value.numerator) if value.denominator == 1 else f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    other = rng.choice(refs)
    return other if other != ref else f"{ref}+1"


def build_math_pairs(count: int, seed: int = 6) -> list[tuple[str, str]]:
    """`count` (response_text, reference_answer) pairs from the MATH sample, mixed as described above."""
    rng = random.Random(seed)
    sample = _load_sample()
    refs = [ref for _, ref in sample]
    pairs = []
    for _ in range(count):
        solution, ref = rng.choice(sample)
        roll = rng.random()
        if roll < 0.35:
            response = f"<think>{solution}</think>\n<answer>{solution}</answer>"
        elif roll < 0.6:
            response = f"<think>...</think>\n<answer>The final answer is $\\boxed{{{_reformat(ref, rng)}}}$.</answer>"
        elif roll < 0.95:
            response = f"<think>...</think>\n<answer>So we get \\boxed{{{_wrong(ref, refs, rng)}}}.</answer>"
        else:
            response = "<think>I could not finish the computation"
        pairs.append((response, ref))
    return pairs


def bare_math_verdict(response_text: str, reference: str) -> str:
    """Plain single-process math-verify on one pair: what the pool's verdicts must equal."""
    from math_verify import parse, verify

    answer = extract_answer(response_text)
    if answer is None:
        return "no_answer"
    gold = parse(to_parse_input(reference))
    if not gold:
        return "parse_error"
    pred = parse(to_parse_input(answer))
    if not pred:
        return "parse_error"
    return "pass" if verify(gold, pred) else "mismatch"


def bench_math(count: int, workers: int, seed: int) -> dict[str, object]:
    """Bare math-verify vs the pool on the same pairs; returns the figures it prints."""
    pairs = build_math_pairs(count, seed)
    bare_verdict_of = bare_math_verdict
    bare_verdict_of("\\boxed{1}", "1")  # imports and parser warm-up are not part of the rate

    start = time.perf_counter()
    bare = [bare_verdict_of(response, ref) for response, ref in pairs]
    bare_s = time.perf_counter() - start

    figures: dict[str, object] = {
        "verifier_version": MATH_VERIFIER_VERSION,
        "pairs": count,
        "workers": workers,
        "bare_verdicts_per_s": round(count / bare_s, 1),
        "verdicts": dict(Counter(bare)),
    }
    # Default pool (numeric fast path + verdict memo), then the memo off to show what the numeric path alone gives.
    for label, memo_size in (("pool", 100_000), ("pool_no_memo", 0)):
        start = time.perf_counter()
        with MathVerifierPool(workers=workers, timeout_s=5.0, memo_size=memo_size) as pool:
            startup_s = time.perf_counter() - start
            start = time.perf_counter()
            pooled = list(pool.verify_many(pairs))
            pool_s = time.perf_counter() - start
        pairs_both = list(zip(bare, pooled, strict=True))
        figures[label] = {
            "verdicts_per_s": round(count / pool_s, 1),
            "speedup_vs_bare": round(bare_s / pool_s, 2),
            "startup_s": round(startup_s, 2),
            "paths": dict(Counter(p.path for p in pooled)),
            "agreement": sum(b == p.verdict for b, p in pairs_both) / count,
            "disagreements": [
                {"pair": i, "bare": b, "pool": p.verdict, "extracted": p.extracted}
                for i, (b, p) in enumerate(pairs_both)
                if b != p.verdict
            ][:20],
        }
    return figures


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    math_cmd = sub.add_parser("math", help="math verdicts/s: pool vs bare math-verify")
    math_cmd.add_argument("--pairs", type=int, default=10_000)
    math_cmd.add_argument("--workers", type=int, default=2)
    math_cmd.add_argument("--seed", type=int, default=6)
    mixed_cmd = sub.add_parser("mixed", help="time to verify mixed responses (rules + math pool + sandbox)")
    mixed_cmd.add_argument("--responses", type=int, default=10_000)
    mixed_cmd.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.command == "mixed":
        print(json.dumps(bench_mixed(args.responses, args.seed), indent=2))
        return 0

    figures = bench_math(args.pairs, args.workers, args.seed)
    print(json.dumps(figures, indent=2))
    print(f"bare math-verify (1 process): {figures['bare_verdicts_per_s']} verdicts/s")
    ok = True
    for label in ("pool", "pool_no_memo"):
        run = figures[label]
        assert isinstance(run, dict)
        ok = ok and run["agreement"] == 1.0
        print(
            f"{label} ({args.workers} workers): {run['verdicts_per_s']} verdicts/s, x{run['speedup_vs_bare']} vs bare, "
            f"verdict agreement {run['agreement']:.2%}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
