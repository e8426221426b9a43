"""The `math` mode of benchmarks/verify.py: the (response, reference) pair mix built from the MATH sample, bare
math-verify and `MathVerifierPool` (with and without its verdict memo) on the same pairs, interleaved in rounds,
their verdicts compared, and the summary lines.

The pair mix is also what the `start-methods` and `mixed` modes verify (benchmarks/verify_start_methods.py,
benchmarks/verify_mixed.py).
"""

from __future__ import annotations

import gzip
import json
import random
import time
from collections import Counter
from pathlib import Path

from amd_assets.verification.math.answers import last_boxed, parse_simple_number
from amd_assets.verification.math.pool import MathVerifierPool, _cpu_seconds
from amd_assets.verification.math.verdict import MATH_VERIFIER_VERSION, MathVerdict, _parse_reference, verify_in_process

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "math" / "math_sample.jsonl.gz"


# --- the pair mix ----------------------------------------------------------------------------------------------


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


# --- bare math-verify vs the pool ------------------------------------------------------------------------------


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


def report_math(figures: dict[str, object], workers: int) -> bool:
    """Print one line for bare math-verify and one per pool; True when every pool verdict equals the bare one."""
    print(f"bare math-verify (1 process): {figures['bare_verdicts_per_s']} verdicts/s")
    ok = True
    for label in ("pool", "pool_no_memo"):
        run = figures[label]
        assert isinstance(run, dict)
        ok = ok and not run["disagreements"]
        print(
            f"{label} ({workers} workers): {run['verdicts_per_s']} verdicts/s, x{run['speedup_vs_bare']} vs bare, "
            f"fast path {run['fast_path_share']:.1%} of pairs, verdicts identical for {run['agreement']} pairs"
        )
    return ok
