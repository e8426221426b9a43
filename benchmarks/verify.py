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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from amd_assets.verification.math.answers import last_boxed, parse_simple_number
from amd_assets.verification.math.pool import WARMUP_MODULE, MathVerifierPool, _cpu_seconds
from amd_assets.verification.math.verdict import MATH_VERIFIER_VERSION, MathVerdict, _parse_reference, verify_in_process

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "math" / "math_sample.jsonl.gz"
HUMANEVAL = Path(__file__).resolve().parents[1] / "data" / "samples" / "humaneval" / "humaneval.jsonl"


def _load_sample() -> list[tuple[str, str]]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return [(row["solution"], ref) for row in rows if (ref := last_boxed(row["solution"]))]


def _symbolic_problem(rng: random.Random) -> tuple[str, str, str]:
    """(reference, an equivalent spelling, a wrong answer) of a generated non-numeric answer: the shapes of
    competition answers (radicals, pi, tuples, intervals, polynomials, complex numbers, sets, matrices)."""
    a, b, c = rng.randint(2, 40), rng.choice([2, 3, 5, 6, 7, 10, 11, 13]), rng.randint(2, 30)
    shapes = [
        (
            f"\\frac{{{a}\\sqrt{{{b}}}}}{{{c}}}",
            f"\\dfrac{{{a}}}{{{c}}}\\sqrt{{{b}}}",
            f"\\frac{{{a + 1}\\sqrt{{{b}}}}}{{{c}}}",
        ),
        (f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"{a}\\sqrt{{{b + 1}}}"),
        (f"\\frac{{{a}\\pi}}{{{c}}}", f"\\frac{{{a}}}{{{c}}}\\pi", f"\\frac{{{a}\\pi}}{{{c + 1}}}"),
        (f"({a}, {c})", f"\\left({a},{c}\\right)", f"({c}, {a + 1})"),
        (f"[{-a}, {c})", f"[-{a},{c})", f"({-a}, {c}]"),
        (f"x^2 + {a}x + {c}", f"{c} + {a}x + x^{{2}}", f"x^2 + {a}x + {c + 1}"),
        (f"{a} + {c}i", f"{c}i + {a}", f"{a} - {c}i"),
        (f"\\{{{a}, {c}\\}}", f"\\{{{c}, {a}\\}}", f"\\{{{a}, {c + 1}\\}}"),
        (
            f"\\begin{{pmatrix}} {a} \\\\ {c} \\end{{pmatrix}}",
            f"\\begin{{pmatrix}}{a}\\\\{c}\\end{{pmatrix}}",
            f"\\begin{{pmatrix}} {c} \\\\ {a} \\end{{pmatrix}}",
        ),
        (f"{a}^\\circ", f"{a}", f"{a + 10}^\\circ"),
    ]
    return rng.choice(shapes)


def _think(rng: random.Random, answer: str) -> str:
    """An R1-style reasoning block of ~1.5 KB ending on the answer."""
    steps = [
        f"Let me check step {i}: substituting gives {rng.randint(2, 99)} + {rng.randint(2, 99)}, so the term is fine."
        for i in range(rng.randint(12, 20))
    ]
    return "Okay, so I need to find the value asked for. " + " ".join(steps) + f" So the answer should be ${answer}$."


def build_math_pairs(count: int, seed: int = 6, symbolic_share: float = 0.35) -> list[tuple[str, str]]:
    """`count` (response_text, reference_answer) pairs, about three responses per problem (rejection sampling).

    Problems: the MATH sample (real solutions and references, ~70% plain numbers) and, for `symbolic_share` of
    them, generated symbolic answers, so that the exact numeric fast path decides about half of the pairs.
    Responses: a full R1-style response ending in the boxed answer (correct, 40%), the answer spelled another
    equivalent way (20%), a wrong answer (33%), the answer as a plain final line without tags (3%), no answer (4%).
    """
    rng = random.Random(seed)
    sample = _load_sample()
    refs = [ref for _, ref in sample]
    problems: list[tuple[str, str, str, str | None]] = []  # (reference, equivalent, wrong, real solution)
    for _ in range(max(1, count // 3)):
        if rng.random() >= symbolic_share:
            solution, ref = rng.choice(sample)
            problems.append((ref, _reformat(ref, rng), _wrong(ref, refs, rng), solution))
        else:
            problems.append((*_symbolic_problem(rng), None))
    pairs = []
    for _ in range(count):
        ref, equivalent, wrong, solution = rng.choice(problems)
        roll = rng.random()
        if roll < 0.4:
            body = solution if solution is not None else f"{_think(rng, ref)} Hence $\\boxed{{{ref}}}$."
            response = f"<think>\n{_think(rng, ref)}\n</think>\n<answer>\n{body}\n</answer>"
        elif roll < 0.6:
            answer = f"The answer is $\\boxed{{{equivalent}}}$."
            response = f"<think>\n{_think(rng, equivalent)}\n</think>\n<answer>\n{answer}\n</answer>"
        elif roll < 0.93:
            response = f"<think>\n{_think(rng, wrong)}\n</think>\n<answer>\nSo we get \\boxed{{{wrong}}}.\n</answer>"
        elif roll < 0.96:
            response = f"<think>\n{_think(rng, ref)}\n</think>\nTherefore the answer is {ref}"
        else:
            response = f"<think>\n{_think(rng, ref)} I could not finish the computation"
        pairs.append((response, ref))
    return pairs


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


def bare_math_verdict(response_text: str, reference: str) -> MathVerdict:
    """The verifier's verdict with plain math-verify on every pair, in this process: math-verify's own (signal)
    timeouts, no fast path, no reference cache, no memo, no workers. What the pool's verdicts must equal."""
    _parse_reference.cache_clear()
    return verify_in_process(response_text, reference, fast_paths=False)


def _slices(count: int, rounds: int) -> list[slice]:
    step = -(-count // rounds)
    return [slice(start, min(count, start + step)) for start in range(0, count, step)]


def _pool_cpu_s(pool: MathVerifierPool) -> float:
    """CPU seconds used so far by the pool's current workers."""
    return sum(_cpu_seconds(worker.process.pid) for worker in pool._pool)


def bench_math(count: int, workers: int, seed: int, symbolic_share: float, rounds: int = 5) -> dict[str, object]:
    """Bare math-verify vs the pool (with and without its verdict memo) on the same pairs, interleaved in
    `rounds` slices so load drift on a shared machine hits every contender alike; returns the figures. CPU
    seconds (this process for bare; the workers plus this process for a pool) show the work apart from load."""
    pairs = build_math_pairs(count, seed, symbolic_share)
    bare_math_verdict("\\boxed{\\frac{1}{2}}", "0.5")  # imports and parser warm-up are not part of the rate
    contenders = {"pool": 100_000, "pool_no_memo": 0}
    pools: dict[str, MathVerifierPool] = {}
    startup: dict[str, float] = {}
    for label, memo_size in contenders.items():
        started = time.perf_counter()
        pools[label] = MathVerifierPool(workers=workers, timeout_s=5.0, memo_size=memo_size).__enter__()
        startup[label] = time.perf_counter() - started
    seconds = dict.fromkeys(["bare", *contenders], 0.0)
    cpu = dict.fromkeys(["bare", *contenders], 0.0)
    verdicts: dict[str, list[MathVerdict]] = {label: [] for label in seconds}
    try:
        for part in _slices(count, rounds):
            started, cpu_started = time.perf_counter(), time.process_time()
            verdicts["bare"] += [bare_math_verdict(response, ref) for response, ref in pairs[part]]
            seconds["bare"] += time.perf_counter() - started
            cpu["bare"] += time.process_time() - cpu_started
            for label, pool in pools.items():
                started, cpu_started = time.perf_counter(), time.process_time() + _pool_cpu_s(pool)
                verdicts[label] += list(pool.verify_many(pairs[part]))
                seconds[label] += time.perf_counter() - started
                cpu[label] += time.process_time() + _pool_cpu_s(pool) - cpu_started
    finally:
        for pool in pools.values():
            pool.close()
    bare = [verdict.verdict for verdict in verdicts["bare"]]
    figures: dict[str, object] = {
        "verifier_version": MATH_VERIFIER_VERSION,
        "pairs": count,
        "distinct_references": len({ref for _, ref in pairs}),
        "workers": workers,
        "bare_verdicts_per_s": round(count / seconds["bare"], 1),
        "bare_cpu_ms_per_verdict": round(1000 * cpu["bare"] / count, 2),
        "verdicts": dict(Counter(bare)),
    }
    for label in contenders:
        pooled = verdicts[label]
        paths = Counter(verdict.path for verdict in pooled)
        figures[label] = {
            "verdicts_per_s": round(count / seconds[label], 1),
            "speedup_vs_bare": round(seconds["bare"] / seconds[label], 2),
            "cpu_ms_per_verdict": round(1000 * cpu[label] / count, 2),
            "startup_s": round(startup[label], 2),
            "paths": dict(paths),
            "fast_path_share": round(paths["fast"] / count, 3),
            "agreement": f"{sum(b == p.verdict for b, p in zip(bare, pooled, strict=True))}/{count}",
            "disagreements": [
                {"pair": i, "bare": b, "pool": p.verdict, "extracted": p.extracted}
                for i, (b, p) in enumerate(zip(bare, pooled, strict=True))
                if b != p.verdict
            ][:20],
        }
    return figures


# --- start methods: why forkserver workers looked slower than a forked child ---------------------------------


def _math_verify_items(count: int, seed: int) -> list[tuple[str, str]]:
    """Distinct pairs that go to math-verify (no fast path, an answer to extract)."""
    from amd_assets.verification.math.answers import extract, fast_verdict

    found: dict[tuple[str, str], None] = {}
    for response, ref in build_math_pairs(4 * count, seed):
        answer = extract(response)
        if answer is not None and fast_verdict(answer.final, ref) is None:
            found[(response, ref)] = None
    return list(found)[:count]


def _cpu_ms_per_item(items: list[tuple[str, str]]) -> float:
    """CPU per item of the worker's judge on `items`, after the worker's own start-up warm-up (one parse)."""
    import logging

    from amd_assets.verification.math.answers import Answer
    from amd_assets.verification.math.verdict import _Judge, _math_verify_verdict

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    _math_verify_verdict(Answer("1"), "1", None)
    judge = _Judge(fast_paths=True, inner_timeout=None)
    started = time.process_time()
    for response, ref in items:
        judge(response, ref)
    return 1000 * (time.process_time() - started) / len(items)


def _child_measure(conn: Any, items: list[tuple[str, str]]) -> None:
    conn.send(_cpu_ms_per_item(items))


def _measure_in(method: str, items: list[tuple[str, str]]) -> float:
    import multiprocessing as mp

    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload([WARMUP_MODULE])
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_child_measure, args=(child, items))
    process.start()
    result = parent.recv()
    process.join()
    return result


def bench_start_methods(count: int, seed: int, rounds: int) -> dict[str, object]:
    """CPU ms per math-verify item of a fresh worker, by how the worker came to be, interleaved over rounds:
    `spawn` (a fresh interpreter: what a forkserver without warm-up gives), `forkserver` (the pool's: forked from
    a server that ran math.warmup), `fork` of this process before and after it ran other items, and after
    it ran the very same items (sympy's and the parser's caches then hold their answers)."""
    measured = _math_verify_items(count, seed)
    other = _math_verify_items(count, seed + 1)
    other = [pair for pair in other if pair not in set(measured)]
    results: dict[str, list[float]] = {}

    def record(label: str, method: str) -> None:
        results.setdefault(label, []).append(round(_measure_in(method, measured), 2))

    for _ in range(rounds):
        record("spawn (fresh interpreter)", "spawn")
        record("forkserver with warm-up (pool)", "forkserver")
        record("fork of a cold parent", "fork")
    _cpu_ms_per_item(other)
    for _ in range(rounds):
        record("fork of a parent that ran other items", "fork")
        record("forkserver with warm-up (pool), again", "forkserver")
    _cpu_ms_per_item(measured)
    for _ in range(rounds):
        record("fork of a parent that ran these items", "fork")
    return {"items": len(measured), "cpu_ms_per_item": results}


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
    math_cmd.add_argument("--symbolic-share", type=float, default=0.35, help="problems with generated symbolic answers")
    start_cmd = sub.add_parser("start-methods", help="CPU per math-verify item by how the worker was started")
    start_cmd.add_argument("--items", type=int, default=300)
    start_cmd.add_argument("--rounds", type=int, default=3)
    start_cmd.add_argument("--seed", type=int, default=12)
    rules_cmd = sub.add_parser("rules", help="responses/s of the rule checks, former (lingua) and current")
    rules_cmd.add_argument("--responses", type=int, default=10_000)
    rules_cmd.add_argument("--seed", type=int, default=6)
    languages_cmd = sub.add_parser("languages", help="language detectors on real text: accuracy, CPU, rule decisions")
    languages_cmd.add_argument("--per-language", type=int, default=120)
    languages_cmd.add_argument("--seed", type=int, default=6)
    stage_cmd = sub.add_parser("stage", help="response_verdicts on a generated general source (rules only)")
    stage_cmd.add_argument("--problems", type=int, default=20_000)
    stage_cmd.add_argument("--seed", type=int, default=6)
    stage_cmd.add_argument("--profile", help="write a cProfile of the run to this path")
    mixed_cmd = sub.add_parser("mixed", help="time to verify mixed responses (rules + math pool + sandbox)")
    mixed_cmd.add_argument("--responses", type=int, default=10_000)
    mixed_cmd.add_argument("--seed", type=int, default=6)
    args = parser.parse_args(argv)
    if args.command in ("rules", "languages", "stage"):
        from verify_rules import bench_languages, bench_rules, bench_stage

        if args.command == "rules":
            figures = bench_rules(args.responses, args.seed)
        elif args.command == "stage":
            figures = bench_stage(args.problems, args.seed, args.profile)
        else:
            figures = bench_languages(args.per_language, args.seed)
        print(json.dumps(figures, indent=2))
        return 0
    if args.command == "start-methods":
        print(json.dumps(bench_start_methods(args.items, args.seed, args.rounds), indent=2))
        return 0
    if args.command == "mixed":
        print(json.dumps(bench_mixed(args.responses, args.seed), indent=2))
        return 0

    figures = bench_math(args.pairs, args.workers, args.seed, args.symbolic_share)
    print(json.dumps(figures, indent=2))
    print(f"bare math-verify (1 process): {figures['bare_verdicts_per_s']} verdicts/s")
    ok = True
    for label in ("pool", "pool_no_memo"):
        run = figures[label]
        assert isinstance(run, dict)
        ok = ok and not run["disagreements"]
        print(
            f"{label} ({args.workers} workers): {run['verdicts_per_s']} verdicts/s, x{run['speedup_vs_bare']} vs bare, "
            f"fast path {run['fast_path_share']:.1%} of pairs, verdicts identical for {run['agreement']} pairs"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
