"""Requests/s the teacher client sustains, and its memory over 100,000 requests, against a local server.

    uv run python benchmarks/teacher_client.py                    # throughput at 256 and 1024 in flight + RSS
    uv run python benchmarks/teacher_client.py --rss-requests 0   # throughput only

The server is the tests' fake OpenAI-compatible server (tests/generation/fake_openai_server.py), run in its own
process on 127.0.0.1 and answering at once, so what is measured is the client: the retrying backend over the
`native` transport (the default) and over the `openai` SDK, and the whole checkpointed driver with a writer that
drops the batches. Not part of the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from amd_assets.generation.driver import CheckpointedGeneration, CheckpointPolicy  # noqa: E402
from amd_assets.generation.selection import PendingResponse  # noqa: E402
from resources.teacher import TeacherRequest, TeacherResource  # noqa: E402

PROMPT = "Let n be a positive integer such that n^2 + 3n + 2 is divisible by 6. " * 3


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def start_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "generation" / "fake_openai_server.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    return server, f"http://127.0.0.1:{port}/v1"


def teacher_for(url: str, client: str, in_flight: int) -> TeacherResource:
    return TeacherResource(backend="openai", base_urls=url, client=client, max_concurrency=in_flight, max_tokens=64)


async def pump(url: str, client: str, in_flight: int, requests: int, rss_every: int = 0) -> dict[str, object]:
    """Keep `in_flight` requests outstanding until `requests` are answered; sample RSS along the way."""
    async with teacher_for(url, client, in_flight).open() as teacher:
        issued = 0
        answered = 0
        failures = 0
        samples: list[tuple[int, float]] = []

        async def worker() -> None:
            nonlocal issued, answered, failures
            while issued < requests:
                issued += 1
                request = TeacherRequest(f"r{issued}", [{"role": "user", "content": f"{PROMPT} #{issued}"}])
                result = await teacher.complete_one(request)  # type: ignore[attr-defined]
                answered += 1
                failures += result.status != "ok"
                if rss_every and answered % rss_every == 0:
                    samples.append((answered, rss_mb()))

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        seconds = time.perf_counter() - started
        return {
            "client": client,
            "in_flight": in_flight,
            "requests": answered,
            "failures": failures,
            "requests_per_s": round(answered / seconds),
            "cpu_ms_per_request": round((time.process_time() - cpu) / answered * 1000, 3),
            "rss_mb": samples,
        }


def pending(count: int) -> Iterator[PendingResponse]:
    for index in range(count):
        request = TeacherRequest(f"{index:024x}", [{"role": "user", "content": f"{PROMPT} #{index}"}])
        yield PendingResponse(request, f"{index:024x}", "bench", "bench.jsonl", index + 1, "math", 0)


async def through_driver(url: str, in_flight: int, requests: int) -> dict[str, object]:
    """The asset's path minus Delta: selection rows → driver → Arrow batches handed to a writer that drops them."""

    def drop(batch: pa.RecordBatch) -> int:
        return 0

    async with teacher_for(url, "native", in_flight).open() as teacher:
        policy = CheckpointPolicy(every=4 * in_flight, seconds=60)
        driver = CheckpointedGeneration(teacher, drop, policy, "0" * 12, "bench")
        cpu = time.process_time()
        stats = await driver.run(pending(requests))
        cpu = time.process_time() - cpu
    return {
        "client": "native via driver",
        "in_flight": in_flight,
        "requests": stats.responses,
        "failures": stats.failed,
        "requests_per_s": round(stats.responses / stats.seconds),
        "cpu_ms_per_request": round(cpu / stats.responses * 1000, 3),
        "checkpoints": stats.checkpoints,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30_000, help="per native run")
    parser.add_argument("--sdk-requests", type=int, default=3_000, help="per openai-SDK run (it is much slower)")
    parser.add_argument("--rss-requests", type=int, default=100_000)
    args = parser.parse_args()
    server, url = start_server()
    try:
        print(f"pid {os.getpid()}, server {url}, start RSS {rss_mb():.1f} MB", flush=True)
        for in_flight in (256, 1024):
            print(asyncio.run(pump(url, "native", in_flight, args.requests)), flush=True)
            print(asyncio.run(through_driver(url, in_flight, args.requests)), flush=True)
            if args.sdk_requests:
                print(asyncio.run(pump(url, "openai", in_flight, args.sdk_requests)), flush=True)
        if args.rss_requests:
            print(f"RSS before the {args.rss_requests:,}-request run: {rss_mb():.1f} MB", flush=True)
            report = asyncio.run(pump(url, "native", 1024, args.rss_requests, rss_every=args.rss_requests // 10))
            samples = report.pop("rss_mb")
            print(report)
            print("RSS (requests answered, MB):", ", ".join(f"{n:,}: {mb:.1f}" for n, mb in samples))  # type: ignore[union-attr]
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
