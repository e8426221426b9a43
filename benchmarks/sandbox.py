"""Benchmark of the code sandbox (not run by the test suite).

``stdio10``: code verification throughput on 10-test Python stdin/stdout samples (the paper's first-10-tests
practice), designs measured side by side in the same run, interleaved chunk by chunk (in a rotating order) so
that load from other processes falls on all of them alike:
  * ``bare``: a bare ``python3`` subprocess per test, no sandbox. It only ever runs this benchmark's own trusted
    reference programs (below); generated code never runs outside the sandbox.
  * ``per_test``: this checkout's sandbox with one forked process per test (``reuse_process=False``).
  * ``shared``: this checkout's sandbox with one shared runner process per sample (the default).
  * ``baseline`` (with ``--baseline-rev REV``): the sandbox package as it was at REV (``git archive``), run in a
    child process of the benchmark; e.g. the commit before the shared runner, to compare with the former design
    as it was, not only with its per-test path on today's infrastructure.
  * ``shared_wN`` (with ``--shared-workers N ...``): the shared runner with N workers instead of the cores, e.g.
    one more slot than cores, to fill the gaps while a sample's processes hand work to each other.
Every design runs the same samples with the same number of workers (default: the cores). The mix is correct,
wrong-answer and crashing variants of eight small contest-style programs; the report gives samples/s, the
ratios (overall, and the median and range of the per-round ratios), CPU per sample (our processes, and the whole
machine) and whether all designs agree on every verdict.

``overhead``: per-sample latency of a trivial program on one worker against a bare ``python -c pass`` (target
<= 5 ms), and HumanEval samples/s (canonical solutions, one assert test each) on a pool sized to the cores.

Both report how busy the machine was before starting (other processes steal the same cores).

    uv run python benchmarks/sandbox.py stdio10 [--rounds 6] [--chunk 60] [--workers 0] [--mode zygote]
        [--mix correct=6,wrong=3,crash=1] [--baseline-rev REV] [--shared-workers N ...]
    uv run python benchmarks/sandbox.py overhead [--humaneval-rounds 3] [--launches 200] [--modes zygote launch]
    add --json for one JSON document instead of text
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# `resources` comes from this checkout, or, in a baseline child (``serve-baseline --root DIR``), from the older
# revision extracted in DIR.
sys.path.insert(
    0,
    sys.argv[sys.argv.index("--root") + 1]
    if sys.argv[1:2] == ["serve-baseline"]
    else str(Path(__file__).resolve().parents[1]),
)

from resources.sandbox import SandboxResource
from resources.sandbox.compare import compare_stdout

REPO = Path(__file__).resolve().parents[1]
HUMANEVAL = REPO / "data" / "samples" / "humaneval" / "humaneval.jsonl"
TRIVIAL_TESTS = {"kind": "stdio", "language": "python", "cases": [{"input": "", "output": ""}]}
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys._base_executable
TESTS_PER_SAMPLE = 10
Sample = tuple[str, dict[str, Any]]


# -- machine load ----------------------------------------------------------------------------------------


def _cpu_busy_seconds() -> float:
    """Machine-wide busy CPU seconds so far (all cores, all processes), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> tuple[float, float]:
    """(this process, its reaped children) CPU seconds. A sandbox pool's processes are reaped when it closes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def background_load(seconds: float = 2.0) -> float:
    """Fraction of all cores busy while we do nothing."""
    before, start = _cpu_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    return (_cpu_busy_seconds() - before) / ((time.monotonic() - start) * (os.cpu_count() or 1))


# -- stdio10: the benchmark's own trusted reference programs -----------------------------------------------


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


def _bare_verdict(program: str, tests: dict[str, Any], timeout_s: float) -> str:
    """Our own trusted program, run per test by a bare python3 subprocess: pass / wrong_answer / runtime_error."""
    verdict = "pass"
    for case in tests["cases"]:
        run = subprocess.run(
            [PYTHON, "-c", program], input=case["input"], capture_output=True, text=True, timeout=timeout_s
        )
        if verdict == "pass" and run.returncode != 0:
            verdict = "runtime_error"
        elif verdict == "pass" and compare_stdout(case["output"], run.stdout) is not None:
            verdict = "wrong_answer"
    return verdict


class BareDesign:
    """A bare python3 subprocess per test, no sandbox: only ever this benchmark's own trusted programs."""

    name = "bare"

    def __init__(self, workers: int) -> None:
        self._threads = ThreadPoolExecutor(workers)

    def start(self) -> None:
        pass

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        return list(self._threads.map(lambda sample: _bare_verdict(*sample, timeout_s=30.0), samples))

    def close(self) -> float:
        self._threads.shutdown()
        return 0.0  # its subprocesses were reaped (and counted) chunk by chunk


class SandboxDesign:
    """This checkout's sandbox: a process per test (`per_test`) or the shared runner (`shared`)."""

    def __init__(self, name: str, workers: int, mode: str) -> None:
        self.name = name
        self._sandbox = SandboxResource(mode=mode, workers=workers, reuse_process=name.startswith("shared"))

    def start(self) -> None:
        self._sandbox.check_available()

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        return [verdict.verdict.value for _, verdict in self._sandbox.verify_many(samples, ordered=True)]

    def close(self) -> float:
        """Stop the pool; the CPU seconds of its whole process tree (reaped now)."""
        before = _own_cpu_seconds()[1]
        self._sandbox.close()
        return _own_cpu_seconds()[1] - before


class BaselineDesign:
    """The sandbox of an older revision (``--baseline-rev``), extracted with ``git archive`` and run in a child
    process of this benchmark (two versions of one package cannot share a process), chunk by chunk on demand."""

    name = "baseline"

    def __init__(self, rev: str, workers: int, mode: str, count: int, mix: dict[str, int]) -> None:
        self._root = tempfile.mkdtemp(prefix="amd-baseline-")
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "resources"], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", self._root], input=archive.stdout, check=True)
        mix_text = ",".join(f"{name}={weight}" for name, weight in mix.items())
        command = [sys.executable, __file__, "serve-baseline", "--root", self._root, "--count", str(count)]
        command += ["--mix", mix_text, "--workers", str(workers), "--mode", mode]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self) -> None:
        self._answer()

    def verify(self, start: int, samples: Sequence[Sample]) -> list[str]:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{start} {start + len(samples)}\n")
        self._process.stdin.flush()
        return self._answer()

    def _answer(self) -> Any:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the baseline sandbox process ended early (see its stderr above)")
        return json.loads(line)

    def close(self) -> float:
        """Stop the child; the CPU seconds it and its sandbox process tree used since it was ready (its own
        start-up, importing Dagster, is not the sandbox's cost)."""
        assert self._process.stdin is not None
        self._process.stdin.close()
        used = self._answer()
        self._process.wait()
        shutil.rmtree(self._root, ignore_errors=True)
        return float(used)


def serve_baseline(count: int, mix: dict[str, int], workers: int, mode: str) -> None:
    """The child side of `BaselineDesign` (``resources`` is the older revision's here): verify the chunks asked
    for on stdin (``start end`` lines), answer each with a JSON line of verdicts; at EOF, the CPU seconds used."""
    samples = [sample for _, _, sample in stdio10_samples(count, mix)]
    sandbox = SandboxResource(mode=mode, workers=workers)
    sandbox.check_available()
    ready = sum(_own_cpu_seconds())
    print("[]", flush=True)
    try:
        for line in sys.stdin:
            start, end = map(int, line.split())
            verdicts = [verdict.verdict.value for _, verdict in sandbox.verify_many(samples[start:end], ordered=True)]
            print(json.dumps(verdicts), flush=True)
    finally:
        sandbox.close()  # reaps the pool's processes: their CPU is ours from here
    print(json.dumps(sum(_own_cpu_seconds()) - ready), flush=True)


Design = BareDesign | SandboxDesign | BaselineDesign


def _chunks(items: Sequence[Any], size: int) -> Iterator[tuple[int, Sequence[Any]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _designs(
    workers: int, mode: str, baseline_rev: str | None, count: int, mix: dict[str, int], shared_workers: Sequence[int]
) -> list[Design]:
    designs: list[Design] = [BareDesign(workers), SandboxDesign("per_test", workers, mode)]
    designs.append(SandboxDesign("shared", workers, mode))
    if baseline_rev:
        designs.append(BaselineDesign(baseline_rev, workers, mode, count, mix))
    designs += [SandboxDesign(f"shared_w{number}", number, mode) for number in shared_workers]
    return designs


def stdio10(
    rounds: int,
    chunk: int,
    workers: int,
    mode: str,
    mix: dict[str, int],
    baseline_rev: str | None = None,
    shared_workers: Sequence[int] = (),
) -> dict[str, Any]:
    """Samples/s of the designs, interleaved: each round runs the same chunk through every design, in a rotating
    order."""
    workers = workers or os.cpu_count() or 1
    triples = stdio10_samples(rounds * chunk, mix)
    samples = [sample for _, _, sample in triples]
    designs = _designs(workers, mode, baseline_rev, len(samples), mix, shared_workers)
    names = [design.name for design in designs]
    warm_up = samples[: 2 * max([workers, *shared_workers])]
    figures = {key: dict.fromkeys(names, 0.0) for key in ("seconds", "machine_cpu", "own_cpu")}
    verdicts: dict[str, list[str]] = {name: [] for name in names}
    per_round: list[dict[str, float]] = []
    try:
        for design in designs:
            design.start()
            design.verify(0, warm_up)  # zygotes started, caches hot
        for number, (start, part) in enumerate(_chunks(samples, chunk)):
            timings = {}
            turn = number % len(designs)
            for design in designs[turn:] + designs[:turn]:
                timings[design.name] = _timed_chunk(design, start, part, verdicts, figures)
            per_round.append({name: len(part) / value for name, value in timings.items()})
    finally:
        for design in designs:
            # What a pool's processes used, over the warm-up and the timed samples, is known once it closed.
            figures["own_cpu"][design.name] += design.close() * len(samples) / (len(samples) + len(warm_up))
    return _stdio10_report(triples, figures, verdicts, per_round, workers, mode, mix)


def _timed_chunk(
    design: Design,
    start: int,
    part: Sequence[Sample],
    verdicts: dict[str, list[str]],
    figures: dict[str, dict[str, float]],
) -> float:
    """Verify `part` with `design`, adding its wall time, machine CPU and own CPU to `figures`; the wall time."""
    busy, (own, children), began = _cpu_busy_seconds(), _own_cpu_seconds(), time.perf_counter()
    verdicts[design.name] += design.verify(start, part)
    elapsed = time.perf_counter() - began
    own_after, children_after = _own_cpu_seconds()
    figures["seconds"][design.name] += elapsed
    figures["machine_cpu"][design.name] += _cpu_busy_seconds() - busy
    # Other designs are idle meanwhile: this process's CPU is this design's host side (pool threads, judging).
    figures["own_cpu"][design.name] += (own_after - own) + (children_after - children)
    return elapsed


def _stdio10_report(
    triples: list[tuple[str, str, Sample]],
    figures: dict[str, dict[str, float]],
    verdicts: dict[str, list[str]],
    per_round: list[dict[str, float]],
    workers: int,
    mode: str,
    mix: dict[str, int],
) -> dict[str, Any]:
    count, names = len(triples), list(verdicts)
    rates = {name: count / figures["seconds"][name] for name in names}
    own_ms = {name: figures["own_cpu"][name] / count * 1000 for name in names}
    expected = {"correct": "pass", "wrong": "wrong_answer", "crash": "runtime_error"}
    return {
        "samples": count,
        "tests_per_sample": TESTS_PER_SAMPLE,
        "workers": workers,
        "mode": mode,
        "mix": mix,
        "rounds": len(per_round),
        "samples_per_s": rates,
        "machine_cpu_ms_per_sample": {name: figures["machine_cpu"][name] / count * 1000 for name in names},
        "own_cpu_ms_per_sample": own_ms,
        # If the machine gave us all its cores: what the own CPU per sample allows.
        "samples_per_s_on_idle_cores": {name: (os.cpu_count() or 1) * 1000 / own_ms[name] for name in names},
        "ratios": {
            f"shared/{other}": _ratio(rates, per_round, "shared", other) for other in names if other != "shared"
        },
        "verdicts": {name: dict(Counter(values)) for name, values in verdicts.items()},
        "designs_agree_on_every_sample": all(values == verdicts["shared"] for values in verdicts.values()),
        "as_planted": sum(
            verdict == expected[variant] for (_, variant, _), verdict in zip(triples, verdicts["shared"], strict=True)
        ),
    }


def _ratio(rates: dict[str, float], per_round: list[dict[str, float]], numerator: str, other: str) -> dict[str, float]:
    """samples/s of `numerator` over `other`: overall, and the median and range of the per-round ratios."""
    ratios = [figures[numerator] / figures[other] for figures in per_round]
    overall = rates[numerator] / rates[other]
    return {"overall": overall, "median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)}


LABELS = {
    "bare": "bare python3 per test",
    "per_test": "sandbox, process per test",
    "shared": "sandbox, shared runner",
    "baseline": "sandbox before (--baseline-rev)",
}


def _print_stdio10(report: dict[str, Any]) -> None:
    mix = ", ".join(f"{name} {weight}" for name, weight in report["mix"].items())
    print(
        f"stdio10: {report['samples']} Python stdio samples x {report['tests_per_sample']} tests (mix {mix}), "
        f"{report['workers']} workers per design, {report['mode']} mode, {report['rounds']} interleaved rounds"
    )
    header = ("design", "samples/s", "vs bare", "own CPU ms", "machine CPU ms", "cores/own")
    print("  {:32s} {:>10s} {:>8s} {:>11s} {:>15s} {:>10s}".format(*header))
    bare = report["samples_per_s"]["bare"]
    for name, rate in report["samples_per_s"].items():
        own, machine = report["own_cpu_ms_per_sample"][name], report["machine_cpu_ms_per_sample"][name]
        bound = report["samples_per_s_on_idle_cores"][name]
        label = LABELS.get(name) or f"sandbox, shared runner, {name[len('shared_w') :]} workers"
        print(f"  {label:32s} {rate:10.1f} {rate / bare:7.2f}x {own:11.1f} {machine:15.1f} {bound:10.1f}")
    print(
        "  (own CPU: this process and every process it started, per sample; machine CPU: all processes on the "
        "machine meanwhile; cores/own: samples/s if all cores were ours)"
    )
    for label, ratio in report["ratios"].items():
        print(
            f"  {label}: {ratio['overall']:.2f}x overall; per round median {ratio['median']:.2f}x "
            f"(min {ratio['min']:.2f}x, max {ratio['max']:.2f}x)"
        )
    print(
        f"  verdicts: all designs agree on every sample: {report['designs_agree_on_every_sample']}; "
        f"as planted: {report['as_planted']}/{report['samples']}; {report['verdicts']['shared']}"
    )


# -- overhead: trivial-sample latency and HumanEval -----------------------------------------------------------


def bare_python_ms(python: str, launches: int, flags: tuple[str, ...] = ()) -> float:
    subprocess.run([python, *flags, "-c", "pass"], check=True)
    start = time.perf_counter()
    for _ in range(launches):
        subprocess.run([python, *flags, "-c", "pass"], check=True)
    return (time.perf_counter() - start) / launches * 1000


def sandbox_latency_ms(mode: str, launches: int) -> dict[str, float]:
    resource = SandboxResource(mode=mode, workers=1)
    try:
        resource.check_available()
        for _ in range(5):  # warm up: zygote started, caches hot
            assert resource.verify("pass", TRIVIAL_TESTS).passed
        times, cpu_before = [], _cpu_busy_seconds()
        for _ in range(launches):
            start = time.perf_counter()
            verdict = resource.verify("pass", TRIVIAL_TESTS)
            times.append((time.perf_counter() - start) * 1000)
            assert verdict.passed, verdict
        cpu_ms = (_cpu_busy_seconds() - cpu_before) / launches * 1000
    finally:
        resource.close()
    return {"mean_ms": statistics.mean(times), "median_ms": statistics.median(times), "machine_cpu_ms": cpu_ms}


def humaneval_rate(mode: str, rounds: int) -> dict[str, Any]:
    with HUMANEVAL.open(encoding="utf-8") as lines:
        problems = [json.loads(line) for line in lines if line.strip()]
    samples = [
        (
            p["prompt"] + p["canonical_solution"],
            {
                "kind": "assert",
                "language": "python",
                "entry_point": p["entry_point"],
                "cases": [{"code": p["test"] + f"\n\ncheck({p['entry_point']})\n"}],
            },
        )
        for p in problems
    ] * rounds
    resource = SandboxResource(mode=mode)  # workers = number of cores
    try:
        resource.check_available()
        list(resource.verify_many(samples[:20]))  # warm-up
        cpu_before, start = _cpu_busy_seconds(), time.perf_counter()
        passed = sum(verdict.passed for _, verdict in resource.verify_many(samples))
        elapsed = time.perf_counter() - start
        cpu_ms = (_cpu_busy_seconds() - cpu_before) / len(samples) * 1000
        workers = len(resource.slot_uids())
    finally:
        resource.close()
    return {
        "samples": len(samples),
        "passed": passed,
        "workers": workers,
        "seconds": elapsed,
        "samples_per_s": len(samples) / elapsed,
        "machine_cpu_ms_per_sample": cpu_ms,
    }


def overhead(launches: int, humaneval_rounds: int, modes: Sequence[str]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "bare_python_c_pass_ms": bare_python_ms(PYTHON, launches),
        "bare_python_I_S_c_pass_ms": bare_python_ms(PYTHON, launches, ("-I", "-S")),
        "modes": {},
    }
    for mode in modes:
        latency = sandbox_latency_ms(mode, launches)
        latency["overhead_vs_bare_python_ms"] = latency["mean_ms"] - report["bare_python_c_pass_ms"]
        report["modes"][mode] = {"latency": latency, "humaneval": humaneval_rate(mode, humaneval_rounds)}
    return report


def _print_overhead(report: dict[str, Any]) -> None:
    bare, bare_is = report["bare_python_c_pass_ms"], report["bare_python_I_S_c_pass_ms"]
    print(f"bare `{PYTHON} -c pass`: {bare:.2f} ms ({bare_is:.2f} ms with -I -S)")
    for mode, figures in report["modes"].items():
        lat, he = figures["latency"], figures["humaneval"]
        print(
            f"[{mode}] trivial sample: {lat['mean_ms']:.2f} ms mean / {lat['median_ms']:.2f} ms median "
            f"(overhead vs bare python: {lat['overhead_vs_bare_python_ms']:+.2f} ms; "
            f"machine CPU {lat['machine_cpu_ms']:.1f} ms/sample)"
        )
        print(
            f"[{mode}] HumanEval: {he['samples_per_s']:.1f} samples/s on {he['workers']} workers "
            f"({he['passed']}/{he['samples']} passed, machine CPU {he['machine_cpu_ms_per_sample']:.1f} ms/sample)"
        )


def _mix(text: str) -> dict[str, int]:
    weights = {name: int(weight) for name, weight in (part.split("=") for part in text.split(","))}
    if not set(weights) <= set(VARIANTS) or not any(weights.values()):
        raise argparse.ArgumentTypeError(f"mix names variants {VARIANTS} with integer weights, e.g. correct=6,wrong=3")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="stdio10", choices=["stdio10", "overhead", "all", "serve-baseline"])
    parser.add_argument("--baseline-rev", help="stdio10: also measure the sandbox of this git revision")
    parser.add_argument("--root", help=argparse.SUPPRESS)  # serve-baseline: the extracted revision
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)  # serve-baseline: samples generated
    parser.add_argument("--rounds", type=int, default=6, help="stdio10: interleaved rounds")
    parser.add_argument("--chunk", type=int, default=60, help="stdio10: samples per design per round")
    parser.add_argument("--workers", type=int, default=0, help="stdio10: workers per design (0 = cores)")
    parser.add_argument("--shared-workers", type=int, nargs="*", default=[], help="stdio10: also these counts")
    parser.add_argument("--mode", default="zygote", choices=["zygote", "launch"], help="stdio10: sandbox mode")
    parser.add_argument("--mix", type=_mix, default=_mix("correct=6,wrong=3,crash=1"), help="stdio10: variants")
    parser.add_argument("--humaneval-rounds", type=int, default=3, help="overhead: HumanEval passes (164 each)")
    parser.add_argument("--launches", type=int, default=200, help="overhead: sequential trivial samples")
    parser.add_argument("--modes", nargs="+", default=["zygote", "launch"], choices=["zygote", "launch"])
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    args = parser.parse_args()
    if args.what == "serve-baseline":
        serve_baseline(args.count, args.mix, args.workers, args.mode)
        return

    report: dict[str, Any] = {"cores": os.cpu_count(), "background_load": background_load()}
    if args.what in ("stdio10", "all"):
        report["stdio10"] = stdio10(
            args.rounds, args.chunk, args.workers, args.mode, args.mix, args.baseline_rev, args.shared_workers
        )
    if args.what in ("overhead", "all"):
        report["overhead"] = overhead(args.launches, args.humaneval_rounds, args.modes)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"cores: {report['cores']}, background load before start: {report['background_load']:.0%}")
    if "stdio10" in report:
        _print_stdio10(report["stdio10"])
    if "overhead" in report:
        _print_overhead(report["overhead"])


if __name__ == "__main__":
    main()
