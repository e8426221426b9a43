"""Code problems of the generated corpus (`benchmarks/e2e_corpus.py`): twelve stdin/stdout task families with
generated tests, and a trace whose program is correct, wrong, crashing, unfenced or (rarely) never ends."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from e2e_corpus_text import Writer, response


@dataclass(frozen=True)
class Family:
    """A stdin/stdout task: its statement, an input generator, the reference solution and its program."""

    statement: str
    make_input: Callable[[random.Random], str]
    solve: Callable[[str], str]
    program: str


def _numbers(rng: random.Random, low: int = 1, high: int = 50) -> str:
    values = [rng.randint(-1000, 1000) for _ in range(rng.randint(low, high))]
    return f"{len(values)}\n{' '.join(map(str, values))}\n"


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split()[1:]]


def _word_line(rng: random.Random) -> str:
    return " ".join(
        rng.choice(("alpha", "beta", "gamma", "delta", "omega", "kappa")) for _ in range(rng.randint(1, 12))
    )


def _fib(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 1_000_000_007
    return a


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


READ_NUMBERS = "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\nvalues = list(map(int, data[1:1 + n]))\n"
FAMILIES = (
    Family(
        "print the sum of the n integers", _numbers, lambda s: str(sum(_ints(s))), READ_NUMBERS + "print(sum(values))\n"
    ),
    Family(
        "print the largest and the smallest of the n integers, separated by a space",
        _numbers,
        lambda s: f"{max(_ints(s))} {min(_ints(s))}",
        READ_NUMBERS + "print(max(values), min(values))\n",
    ),
    Family(
        "print the n integers in increasing order without repetitions",
        _numbers,
        lambda s: " ".join(map(str, sorted(set(_ints(s))))),
        READ_NUMBERS + "print(*sorted(set(values)))\n",
    ),
    Family(
        "print the prefix sums of the n integers",
        _numbers,
        lambda s: " ".join(str(sum(_ints(s)[: i + 1])) for i in range(len(_ints(s)))),
        READ_NUMBERS + "total = 0\nout = []\nfor v in values:\n    total += v\n    out.append(total)\nprint(*out)\n",
    ),
    Family(
        "print the words of the line in reverse order",
        lambda rng: _word_line(rng) + "\n",
        lambda s: " ".join(reversed(s.split())),
        "print(*reversed(input().split()))\n",
    ),
    Family(
        "print how many vowels the line contains",
        lambda rng: _word_line(rng) + "\n",
        lambda s: str(sum(c in "aeiou" for c in s)),
        "line = input()\nprint(sum(c in 'aeiou' for c in line))\n",
    ),
    Family(
        "print the greatest common divisor and the least common multiple of a and b",
        lambda rng: f"{rng.randint(1, 10**6)} {rng.randint(1, 10**6)}\n",
        lambda s: (lambda a, b: f"{__import__('math').gcd(a, b)} {a * b // __import__('math').gcd(a, b)}")(
            *map(int, s.split())
        ),
        "import math\na, b = map(int, input().split())\ng = math.gcd(a, b)\nprint(g, a * b // g)\n",
    ),
    Family(
        "print YES if n is prime and NO otherwise",
        lambda rng: f"{rng.randint(1, 10**5)}\n",
        lambda s: "YES" if _is_prime(int(s)) else "NO",
        "n = int(input())\nok = n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))\n"
        "print('YES' if ok else 'NO')\n",
    ),
    Family(
        "print the n-th Fibonacci number modulo 1000000007",
        lambda rng: f"{rng.randint(0, 5000)}\n",
        lambda s: str(_fib(int(s))),
        "n = int(input())\na, b = 0, 1\nfor _ in range(n):\n    a, b = b, (a + b) % 1000000007\nprint(a)\n",
    ),
    Family(
        "print YES if the word reads the same backwards and NO otherwise",
        lambda rng: rng.choice(("level", "rotor", "abcba", "python", "banana", "noon", "stats", "graph")) + "\n",
        lambda s: "YES" if s.strip() == s.strip()[::-1] else "NO",
        "w = input().strip()\nprint('YES' if w == w[::-1] else 'NO')\n",
    ),
    Family(
        "print the sum of the decimal digits of the number",
        lambda rng: str(rng.randint(1, 10**40)) + "\n",
        lambda s: str(sum(map(int, s.strip()))),
        "print(sum(map(int, input().strip())))\n",
    ),
    Family(
        "print the number of distinct integers among the n integers",
        _numbers,
        lambda s: str(len(set(_ints(s)))),
        READ_NUMBERS + "print(len(set(values)))\n",
    ),
)


def wrong_program(program: str, rng: random.Random) -> tuple[str, bool]:
    """(program text, fenced) of a rejected answer: an extra token, a wrong format, a crash or no fence."""
    roll = rng.random()
    if roll < 0.35:
        return program.replace("print(", "print(0, ", 1), True
    if roll < 0.6:
        return program.replace("print(", "print('answer:', ", 1), True
    if roll < 0.85:
        return program + "raise RuntimeError('unexpected end of input')\n", True
    return program, False


def code_row(writer: Writer, apps_style: bool) -> dict[str, Any]:
    rng = writer.rng
    family = rng.choice(FAMILIES)
    inputs = [family.make_input(rng) for _ in range(rng.randint(4, 10))]
    outputs = [family.solve(text) + "\n" for text in inputs]
    roll = rng.random()
    if roll < writer.hang_share:  # a program that never ends: costs the sandbox its CPU limit (stops at test 1)
        program, fenced = "while True:\n    pass\n", True
    elif roll < 0.7:
        program, fenced = family.program, True
    else:
        program, fenced = wrong_program(family.program, rng)
    limit = rng.randint(10, 10**5)
    # No worked example in the prompt: twelve families' examples look alike to an embedding model and would make
    # semantic dedup merge most code problems (84% of 2,000 had a neighbour above 0.83; 22% without examples).
    prompt = (
        f"{writer.sentences(3, 5)}\n\nTask: read the input from standard input and {family.statement}.\n"
        f"Constraints: 1 <= n <= {limit}."
    )
    code = f"```python\n{program}```" if fenced else program
    final = f"Here is the solution.\n\n{code}"
    tests: Any = [{"input": i, "output": o} for i, o in zip(inputs, outputs, strict=True)]
    if apps_style:
        tests = orjson.dumps({"inputs": inputs, "outputs": outputs}).decode()
    return {"question": prompt, "tests": tests, "response": response(writer, final)}
