"""The in-process vLLM backend, without vLLM or a GPU: the missing-package error and a fake `LLM`.

Not run on a GPU: the fake stands in for `vllm.LLM.chat` / `vllm.SamplingParams` with the attributes the
backend reads (RequestOutput.prompt_token_ids, .outputs[0].text / .token_ids / .finish_reason), and fails the
way vLLM does: a prompt it refuses fails the whole call before generating (ValueError), a dead engine raises
EngineDeadError on that call and on every later one, a CUDA fault is a RuntimeError.
"""

from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pytest
from generation_support import SOURCE, problem, write_curated

from amd_assets.generation.driver import TeacherUnavailableError, response_row
from amd_assets.generation.selection import PendingResponse, SamplingPlan, read_ledger
from amd_assets.generation.tables import TEACHER_RESPONSES
from resources.teacher import TeacherBackendUnavailable, TeacherRequest, TeacherResource
from resources.teacher.records import SamplingParams, failed
from resources.teacher.retry import RetryPolicy
from resources.teacher.vllm_backend import VLLMTeacher

pytest_plugins = ["generation_fixtures"]


@dataclass
class FakeCompletion:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class FakeRequestOutput:
    prompt_token_ids: list[int]
    outputs: list[FakeCompletion]


class FakeSamplingParams:
    def __init__(self, **kwargs: Any):
        self.kwargs = kwargs


class EngineDeadError(Exception):
    """Named as vLLM V1's (vllm.v1.engine.exceptions): the engine core process is gone."""


@dataclass
class FakeLLM:
    """Answers like vLLM with R1's template: the text starts inside the think block (`<think>` is in the prompt).

    `die_at_call`: that call (1-based) kills the engine mid-batch; `failures`: exceptions raised by the first
    calls, one each (then it answers again)."""

    model: str = "fake"
    engine_args: dict[str, Any] = field(default_factory=dict)
    die_at_call: int | None = None
    failures: list[Exception] = field(default_factory=list)
    calls: list[list[str]] = field(default_factory=list)
    max_tokens: list[int] = field(default_factory=list)  # per call: 1 for the backend's probes
    dead: bool = False

    def chat(self, conversations: list[list[dict[str, str]]], params: FakeSamplingParams, use_tqdm: bool = True):
        prompts = [conversation[-1]["content"] for conversation in conversations]
        self.calls.append(prompts)
        self.max_tokens.append(params.kwargs["max_tokens"])
        if self.dead:
            raise EngineDeadError("EngineCore encountered an issue. See stack trace (above) for the root cause.")
        if self.failures:
            raise self.failures.pop(0)
        if any("explode" in prompt for prompt in prompts):  # vLLM validates every prompt before generating
            raise ValueError("The decoder prompt is longer than the maximum model length")
        if len(self.calls) == self.die_at_call:
            self.dead = True
            raise EngineDeadError("EngineCore encountered an issue. See stack trace (above) for the root cause.")
        outputs = []
        for prompt in prompts:
            limit = params.kwargs["max_tokens"]
            if "ramble" in prompt:
                completion = FakeCompletion("thinking forever " * 3, list(range(limit)), "length")
            else:
                completion = FakeCompletion(
                    f"thought about {prompt}\n</think>\n<answer>{len(prompt)}</answer>", [1] * 5, "stop"
                )
            outputs.append(FakeRequestOutput(list(range(len(prompt.split()))), [completion]))
        return outputs

    def generated(self, max_tokens: int) -> list[int]:
        """Sizes of the calls made with the real sampling parameters (not the 1-token probes)."""
        return [len(call) for call, tokens in zip(self.calls, self.max_tokens, strict=True) if tokens == max_tokens]


@pytest.fixture
def fake_vllm(monkeypatch) -> types.ModuleType:
    module = types.ModuleType("vllm")
    module.LLM = lambda model, **engine_args: FakeLLM(model, engine_args)  # type: ignore[attr-defined]
    module.SamplingParams = FakeSamplingParams  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def request(key: str, text: str) -> TeacherRequest:
    return TeacherRequest(key, [{"role": "system", "content": "be brief"}, {"role": "user", "content": text}])


def test_without_vllm_the_error_names_the_gpu_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm → ImportError, installed or not

    async def open_teacher() -> None:
        async with TeacherResource(backend="vllm").open():
            pass

    with pytest.raises(TeacherBackendUnavailable, match=r"`gpu` extra.*uv sync --extra gpu"):
        asyncio.run(open_teacher())


def test_batch_is_sorted_by_prompt_length_and_mapped_back_to_requests():
    llm = FakeLLM()
    teacher = VLLMTeacher(llm, FakeSamplingParams, "deepseek-ai/DeepSeek-R1", SamplingParams(0.6, 0.95, 64), 8)
    requests = [request("a", "a much longer prompt than the others"), request("b", "short"), request("c", "mid size")]
    results = asyncio.run(teacher.complete(requests))

    assert llm.calls == [["short", "mid size", "a much longer prompt than the others"]]
    assert [r.key for r in results] == ["a", "b", "c"]
    first = results[0]
    assert (first.status, first.backend, first.model, first.attempts) == ("ok", "vllm", "deepseek-ai/DeepSeek-R1", 1)
    assert first.think == "thought about a much longer prompt than the others"
    assert first.answer == str(len("a much longer prompt than the others"))
    assert (first.prompt_tokens, first.completion_tokens, first.finish_reason) == (7, 5, "stop")
    assert first.sampling == SamplingParams(0.6, 0.95, 64)
    assert teacher._params.kwargs == {"n": 1, "temperature": 0.6, "top_p": 0.95, "max_tokens": 64}


def test_length_is_truncated_and_one_bad_prompt_does_not_sink_the_batch():
    llm = FakeLLM()
    teacher = VLLMTeacher(llm, FakeSamplingParams, "m", SamplingParams(max_tokens=16), 8)
    fine, ramble, explode = asyncio.run(
        teacher.complete([request("f", "fine"), request("r", "ramble on"), request("x", "explode please")])
    )
    assert (ramble.status, ramble.truncated, ramble.completion_tokens) == ("truncated", True, 16)
    assert (explode.status, explode.error_class, explode.retryable) == ("failed", "client_error", False)
    assert "maximum model length" in (explode.error or "")
    assert fine.status == "ok"
    assert llm.generated(16) == [3, 2]  # the batch, refused; the rest, again as one batch


def test_refused_prompts_are_found_with_probes_and_the_rest_of_512_runs_as_one_batch():
    llm = FakeLLM()
    teacher = VLLMTeacher(llm, FakeSamplingParams, "m", SamplingParams(max_tokens=64), 512)
    refused = {7, 300, 301}
    texts = [f"explode {i}" if i in refused else f"prompt {i}" for i in range(512)]
    results = asyncio.run(teacher.complete([request(f"k{i}", text) for i, text in enumerate(texts)]))

    assert [r.key for r in results] == [f"k{i}" for i in range(512)]
    assert {i for i, r in enumerate(results) if r.status == "failed"} == refused
    assert {(results[i].error_class, results[i].retryable, results[i].attempts) for i in refused} == {
        ("client_error", False, 1)
    }
    assert all(r.answer == str(len(texts[i])) for i, r in enumerate(results) if i not in refused)
    assert llm.generated(64) == [512, 509]  # never prompt by prompt
    probes = llm.generated(1)
    # halving around 3 refused prompts: a few calls per refused prompt and level of 9, most of them refused
    # before any generation; the probes that run generate one token each
    assert len(probes) <= 3 * 2 * 9, len(probes)
    print(f"512 prompts, 3 refused: {len(llm.calls)} engine calls, {len(probes)} of them 1-token probes")


FAST_RETRY = RetryPolicy(request_attempts=3, initial_backoff_s=0.001, max_backoff_s=0.002)


def test_an_engine_that_dies_mid_batch_is_loaded_again_and_the_batch_retried():
    engines: list[FakeLLM] = []

    def load_engine() -> FakeLLM:
        engines.append(FakeLLM(die_at_call=None if engines else 1))
        return engines[-1]

    teacher = VLLMTeacher(
        load_engine(), FakeSamplingParams, "m", SamplingParams(max_tokens=16), 8, FAST_RETRY, load_engine
    )
    results = asyncio.run(teacher.complete([request(f"k{i}", f"prompt {i}") for i in range(8)]))

    assert {(r.status, r.attempts) for r in results} == {("ok", 2)}
    assert len(engines) == 2 and [len(call) for call in engines[1].calls] == [8]


def test_engine_failures_are_retried_then_transient_for_every_prompt_never_refusals():
    cuda = RuntimeError("CUDA error: an illegal memory access was encountered")
    recovering = FakeLLM(failures=[cuda, cuda])
    teacher = VLLMTeacher(recovering, FakeSamplingParams, "m", SamplingParams(max_tokens=16), 4, FAST_RETRY)
    assert {(r.status, r.attempts) for r in asyncio.run(teacher.complete([request("a", "x"), request("b", "y")]))} == {
        ("ok", 3)
    }

    failing = FakeLLM(failures=[cuda] * 3)
    teacher = VLLMTeacher(failing, FakeSamplingParams, "m", SamplingParams(max_tokens=16), 4, FAST_RETRY)
    results = asyncio.run(teacher.complete([request("a", "x"), request("b", "explode")]))
    assert {(r.status, r.error_class, r.retryable, r.attempts) for r in results} == {
        ("failed", "engine_error", True, 3)
    }
    assert "CUDA error" in (results[0].error or "") and failing.generated(1) == []  # no bisection of an engine fault


def test_resource_loads_the_engine_with_its_settings(fake_vllm):
    resource = TeacherResource(
        backend="vllm", tensor_parallel_size=8, max_model_len=40_960, gpu_memory_utilization=0.85, vllm_batch_size=32
    )

    async def load() -> Any:
        async with resource.open() as teacher:
            return teacher

    teacher = asyncio.run(load())
    assert (teacher.backend, teacher.group_size, teacher.max_in_flight) == ("vllm", 32, 32)
    assert resource.describe()["tensor_parallel_size"] == 8


def test_asset_generates_through_the_vllm_backend_in_engine_batches(fake_vllm, lakehouse, run_generation):
    engines: list[FakeLLM] = []
    fake_vllm.LLM = lambda model, **args: engines.append(FakeLLM(model, args)) or engines[-1]
    write_curated(lakehouse, [problem(i) for i in range(10)])

    result = run_generation(TeacherResource(backend="vllm", vllm_batch_size=4), checkpoint_every=4)
    assert result.success
    (engine,) = engines
    assert engine.engine_args["tensor_parallel_size"] == 1
    assert [len(call) for call in engine.calls] == [4, 4, 2]
    rows = lakehouse.read(TEACHER_RESPONSES.name).to_pylist()
    assert len(rows) == 10 and {r["backend"] for r in rows} == {"vllm"} and {r["status"] for r in rows} == {"ok"}
    writes = [e for e in lakehouse.history(TEACHER_RESPONSES.name) if e["operation"] == "WRITE"]
    assert len(writes) == 3  # one checkpoint per engine batch


def test_repeated_engine_failures_trip_the_breaker_and_are_asked_again(fake_vllm, lakehouse, run_generation):
    cuda = RuntimeError("CUDA error: an illegal memory access was encountered")
    fake_vllm.LLM = lambda model, **args: FakeLLM(model, args, failures=[cuda] * 100)
    write_curated(lakehouse, [problem(i) for i in range(12)])
    teacher = TeacherResource(
        backend="vllm", vllm_batch_size=4, request_attempts=2, initial_backoff_s=0.001, max_backoff_s=0.002
    )

    failing = run_generation(teacher, raise_on_error=False, checkpoint_every=4, max_consecutive_failures=8)
    assert not failing.success
    assert TeacherUnavailableError.__name__ in str(failing.failure_data_for_node("teacher_responses").error)
    written = lakehouse.read(TEACHER_RESPONSES.name).to_pylist()
    assert len(written) == 8  # two engine batches, then the breaker
    assert {(r["error_class"], r["retryable"], r["attempts"]) for r in written} == {("engine_error", True, 2)}

    fake_vllm.LLM = lambda model, **args: FakeLLM(model, args)  # the engine is back
    assert run_generation(teacher, checkpoint_every=4).success
    latest = {
        r["response_id"]: r["status"] for r in lakehouse.read(TEACHER_RESPONSES.name).to_pylist() if r["status"] == "ok"
    }
    assert len(latest) == 12  # the 8 engine failures asked again, not given up


def test_stored_generation_errors_count_as_what_their_exception_was(lakehouse):
    """Rows the backend wrote before engine failures and refused prompts were told apart: an engine failure is
    asked again (up to max_request_failures), a refused prompt stays settled."""
    common = {
        "backend": "vllm",
        "model": "m",
        "sampling": SamplingParams(),
        "attempts": 1,
        "latency_s": 0,
        "elapsed_s": 0,
    }
    legacy = {
        "a" * 24: "EngineDeadError: EngineCore encountered an issue. See stack trace (above) for the root cause.",
        "b" * 24: "RuntimeError: CUDA error: out of memory",
        "c" * 24: "ValueError: The decoder prompt is longer than the maximum model length",
    }
    rows = [
        response_row(
            PendingResponse(request(key, "q"), key, SOURCE, "f", 1, "math", 0),
            failed(key, error_class="generation_error", error=error, retryable=False, **common),
            "v",
            "run",
        )
        for key, error in legacy.items()
    ]
    batch = pa.RecordBatch.from_pylist(rows, schema=TEACHER_RESPONSES.schema)
    lakehouse.append(TEACHER_RESPONSES.name, [batch], TEACHER_RESPONSES.schema, ["source"])
    ledger = read_ledger(lakehouse, SOURCE, SamplingPlan())
    assert ledger.settled == {"c" * 24} and ledger.final_failures == {"c" * 24: 1}
