"""The stdio10 samples of the sandbox benchmark (benchmarks/sandbox.py): eight small contest-style problems,
each with an input generator, the answer computed here and correct / wrong / crashing reference programs, and
the seeded generator of 10-test samples from them."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TESTS_PER_SAMPLE = 10
Sample = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    """A contest-style stdio problem: input generator, the answer computed here, and three programs."""

    name: str
    make_input: Callable[[random.Random], str]
    answer: Callable[[str], str]
    correct: str
    wrong: str  # a plausible bug: wrong output on (nearly) every test

    @property
    def crash(self) -> str:
        """The correct program, except that it raises on about half of the inputs: a runtime error."""
        return CRASH_PREFIX + self.correct


CRASH_PREFIX = (
    "import io, sys\n_data = sys.stdin.read()\nif len(_data) % 2 == 0:\n    raise ValueError('unexpected input')\n"
    "sys.stdin = io.TextIOWrapper(io.BytesIO(_data.encode()))\n"
)


def _ints(text: str) -> list[int]:
    return [int(token) for token in text.split()]


def _sum_input(rng: random.Random) -> str:
    n = rng.randint(50, 400)
    return f"{n}\n{' '.join(str(rng.randint(-(10**9), 10**9)) for _ in range(n))}\n"


def _words_input(rng: random.Random) -> str:
    return " ".join(rng.choice(("apple", "kiwi", "fig", "plum", "pear", "lime", "date")) for _ in range(200)) + "\n"


def _words_answer(text: str) -> str:
    counts = Counter(text.split())
    best = max(sorted(counts), key=lambda word: counts[word])
    return f"{len(counts)} {best}"


def _graph_input(rng: random.Random) -> str:
    n = rng.randint(30, 120)
    edges = [(i, rng.randint(1, i - 1)) for i in range(2, n + 1)]
    edges += [(rng.randint(1, n), rng.randint(1, n)) for _ in range(n)]
    return f"{n} {len(edges)}\n" + "".join(f"{a} {b}\n" for a, b in edges)


def _bfs_answer(text: str) -> str:
    values = _ints(text)
    n, m = values[0], values[1]
    adjacency: list[list[int]] = [[] for _ in range(n + 1)]
    for k in range(m):
        a, b = values[2 + 2 * k], values[3 + 2 * k]
        adjacency[a].append(b)
        adjacency[b].append(a)
    dist = [-1] * (n + 1)
    dist[1], frontier = 0, [1]
    for node in frontier:
        for nxt in adjacency[node]:
            if dist[nxt] < 0:
                dist[nxt] = dist[node] + 1
                frontier.append(nxt)
    return " ".join(map(str, dist[1:]))


def _paths_answer(text: str) -> str:
    rows, cols = _ints(text)
    grid = [1] * cols
    for _ in range(1, rows):
        for c in range(1, cols):
            grid[c] = (grid[c] + grid[c - 1]) % 1_000_000_007
    return str(grid[-1])


def _primes_answer(text: str) -> str:
    n = _ints(text)[0]
    sieve = bytearray([1]) * (n + 1)
    sieve[0:2] = b"\0\0"
    for p in range(2, int(n**0.5) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytes(len(range(p * p, n + 1, p)))
    return str(sum(sieve))


def _running_max_answer(text: str) -> str:
    values, best, out = _ints(text)[1:], None, []
    for value in values:
        best = value if best is None else max(best, value)
        out.append(best)
    return " ".join(map(str, out))


PROBLEMS = (
    Problem(
        "sum",
        _sum_input,
        lambda text: str(sum(_ints(text)[1:])),
        "n = int(input())\nprint(sum(map(int, input().split())))\n",
        "n = int(input())\nprint(sum(map(int, input().split()[1:])))\n",
    ),
    Problem(
        "sort",
        _sum_input,
        lambda text: " ".join(map(str, sorted(_ints(text)[1:]))),
        "import sys\ndata = sys.stdin.read().split()\nprint(*sorted(map(int, data[1:])))\n",
        "import sys\ndata = sys.stdin.read().split()\nprint(*sorted(data[1:]))\n",
    ),
    Problem(
        "words",
        _words_input,
        _words_answer,
        "from collections import Counter\nc = Counter(input().split())\n"
        "print(len(c), max(sorted(c), key=lambda w: c[w]))\n",
        "from collections import Counter\nc = Counter(input().split())\nprint(len(c), c.most_common()[-1][0])\n",
    ),
    Problem(
        "bfs",
        _graph_input,
        _bfs_answer,
        "import sys\nfrom collections import deque\ndef main():\n    data = sys.stdin.buffer.read().split()\n"
        "    n, m = int(data[0]), int(data[1])\n    adj = [[] for _ in range(n + 1)]\n"
        "    for k in range(m):\n        a, b = int(data[2 + 2 * k]), int(data[3 + 2 * k])\n"
        "        adj[a].append(b)\n        adj[b].append(a)\n    dist = [-1] * (n + 1)\n    dist[1] = 0\n"
        "    queue = deque([1])\n    while queue:\n        u = queue.popleft()\n        for v in adj[u]:\n"
        "            if dist[v] < 0:\n                dist[v] = dist[u] + 1\n                queue.append(v)\n"
        "    sys.stdout.write(' '.join(map(str, dist[1:])) + '\\n')\nmain()\n",
        "import sys\nfrom collections import deque\ndata = sys.stdin.buffer.read().split()\n"
        "n, m = int(data[0]), int(data[1])\nadj = [[] for _ in range(n + 1)]\n"
        "for k in range(m):\n    a, b = int(data[2 + 2 * k]), int(data[3 + 2 * k])\n    adj[a].append(b)\n"
        "dist = [-1] * (n + 1)\ndist[1] = 0\nqueue = deque([1])\nwhile queue:\n    u = queue.popleft()\n"
        "    for v in adj[u]:\n        if dist[v] < 0:\n            dist[v] = dist[u] + 1\n"
        "            queue.append(v)\nprint(*dist[1:])\n",
    ),
    Problem(
        "paths",
        lambda rng: f"{rng.randint(10, 60)} {rng.randint(10, 60)}\n",
        _paths_answer,
        "r, c = map(int, input().split())\nrow = [1] * c\nfor _ in range(1, r):\n    for j in range(1, c):\n"
        "        row[j] = (row[j] + row[j - 1]) % 1000000007\nprint(row[-1])\n",
        "r, c = map(int, input().split())\nrow = [1] * c\nfor _ in range(1, r):\n    for j in range(1, c):\n"
        "        row[j] = (row[j] + row[j - 1]) % 1000000009\nprint(row[-1] + 1)\n",
    ),
    Problem(
        "primes",
        lambda rng: f"{rng.randint(1000, 30000)}\n",
        _primes_answer,
        "n = int(input())\nsieve = bytearray([1]) * (n + 1)\nsieve[0:2] = b'\\0\\0'\n"
        "for p in range(2, int(n ** 0.5) + 1):\n    if sieve[p]:\n"
        "        sieve[p * p::p] = bytes(len(range(p * p, n + 1, p)))\nprint(sum(sieve))\n",
        "n = int(input())\nsieve = bytearray([1]) * (n + 1)\nsieve[0:2] = b'\\0\\0'\n"
        "for p in range(2, int(n ** 0.5) + 1):\n    if sieve[p]:\n"
        "        sieve[p * p::p] = bytes(len(range(p * p, n + 1, p)))\nprint(sum(sieve) - 1)\n",
    ),
    Problem(
        "running_max",
        _sum_input,
        _running_max_answer,
        "input()\nbest = None\nout = []\nfor x in map(int, input().split()):\n"
        "    best = x if best is None else max(best, x)\n    out.append(best)\nprint(' '.join(map(str, out)))\n",
        "input()\nbest = 0\nout = []\nfor x in map(int, input().split()):\n    best = max(best, x)\n"
        "    out.append(best)\nprint(' '.join(map(str, out)))\n",
    ),
    Problem(
        "palindrome",
        lambda rng: "".join(rng.choice("ab") for _ in range(rng.randint(5, 12))) + "\n",
        lambda text: f"{text.strip()[::-1]} {'YES' if text.strip() == text.strip()[::-1] else 'NO'}",
        "s = input().strip()\nprint(s[::-1], 'YES' if s == s[::-1] else 'NO')\n",
        "s = input().strip()\nprint(s, 'YES' if s == s[::-1] else 'NO')\n",
    ),
)
VARIANTS = ("correct", "wrong", "crash")


def stdio10_samples(count: int, mix: dict[str, int], seed: int = 7) -> list[tuple[str, str, Sample]]:
    """`count` (problem, variant, sample) triples: 10 generated tests each, variants drawn by `mix` weights."""
    rng = random.Random(seed)
    variants = [variant for variant in VARIANTS for _ in range(mix.get(variant, 0))]
    samples = []
    for index in range(count):
        problem = PROBLEMS[index % len(PROBLEMS)]
        variant = rng.choice(variants)
        inputs = [problem.make_input(rng) for _ in range(TESTS_PER_SAMPLE)]
        tests = {
            "kind": "stdio",
            "language": "python",
            "cases": [{"input": text, "output": problem.answer(text) + "\n"} for text in inputs],
        }
        samples.append((problem.name, variant, (getattr(problem, variant), tests)))
    return samples
