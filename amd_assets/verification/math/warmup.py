"""Imported by the math-verify pool's forkserver only (never by the code location): importing it loads math-verify
and sympy and warms them up, so that every worker forked from the server starts warm.

Why: a fresh process pays for math-verify's first calls (the LaTeX parser's prediction caches, sympy's lazily
imported modules and caches) about 0.5 s of CPU over its first ~100 items, 1.5-2x the steady cost per item. A
plain `fork` of a parent that already ran math-verify inherits all of that, which is why a forked child looked
~1.5x faster than a forkserver worker on the same calls (`benchmarks/verify.py start-methods` measures it).
Paying it here, once per process, gives the same start to every worker and to every replacement of a worker
killed at its deadline.
"""

from __future__ import annotations

import contextlib
import logging

from amd_assets.verification.math.verdict import _Judge, _parse_reference

# Answer forms math-verify meets in practice: fractions, radicals, tuples, intervals, sets, polynomials,
# matrices, trigonometry, logarithms, percent, degrees, choices, equations, inequalities, complex numbers, text.
WARMUP_PAIRS = (
    ("\\boxed{\\frac{1}{2}}", "0.5"),
    ("\\boxed{2\\sqrt{3}}", "\\sqrt{12}"),
    ("\\boxed{(1, 2)}", "(1,2)"),
    ("\\boxed{[0, 1)}", "[0,1)"),
    ("\\boxed{\\{1, 2\\}}", "\\{2,1\\}"),
    ("\\boxed{x^2+2x+1}", "(x+1)^2"),
    ("\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
    ("\\boxed{\\sin(\\pi/6)}", "\\frac12"),
    ("\\boxed{\\log_2 8}", "3"),
    ("\\boxed{50\\%}", "50"),
    ("\\boxed{30^\\circ}", "30"),
    ("\\boxed{\\text{(C)}}", "C"),
    ("\\boxed{x = 3}", "3"),
    ("\\boxed{x > 2}", "(2, \\infty)"),
    ("\\boxed{3 + 4i}", "3+4i"),
    ("\\boxed{\\dfrac{\\pi}{4}}", "\\frac{\\pi}{4}"),
    ("\\boxed{e^{2}}", "e^2"),
    ("\\boxed{1, 2, 3}", "1,2,3"),
    ("The answer is $\\frac{3}{4}$.", "\\frac34"),
    ("\\boxed{\\binom{5}{2}}", "10"),
    ("\\boxed{|x|}", "|x|"),
    ("\\boxed{y = 2x + 1}", "y=2x+1"),
    ("\\boxed{a^2 - b^2}", "(a-b)(a+b)"),
    ("\\boxed{\\sqrt[3]{2}}", "2^{1/3}"),
    ("\\boxed{10^{-3}}", "0.001"),
    ("\\boxed{\\text{yes}}", "\\text{Yes}"),
    ("<think>x</think>\n<answer>\nSo $x = 7$.\n</answer>", "7"),
)


def warm_up() -> None:
    """Run math-verify on every warm-up pair (twice: the second pass settles its caches), then forget the parsed
    references so no worker starts with an answer of ours in its cache."""
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    judge = _Judge(fast_paths=False, inner_timeout=None)
    for _ in range(2):
        for response, reference in WARMUP_PAIRS:
            # The forkserver survives only an ImportError from its preloads: nothing here may stop it.
            with contextlib.suppress(Exception):
                judge(response, reference)
    _parse_reference.cache_clear()


warm_up()
