"""The in-process vLLM backend, without vLLM or a GPU: the missing-package error and a fake `LLM`.

Not run on a GPU: the fake stands in for `vllm.LLM.chat` / `vllm.SamplingParams` with the attributes the
backend reads (RequestOutput.prompt_token_ids, .outputs[0].text / .token_ids / .finish_reason).
"""

from __future__ import annotations

import asyncio
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest
from generation_support import problem, write_curated

from amd_assets.generation.tables import TEACHER_RESPONSES
from resources.teacher import TeacherBackendUnavailable, TeacherRequest, TeacherResource
from resources.teacher.records import SamplingParams
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


@dataclass
class FakeLLM:
    """Answers like vLLM with R1's template: the text starts inside the think block (`<think>` is in the prompt)."""

    model: str = "fake"
    engine_args: dict[str, Any] = field(default_factory=dict)
    calls: list[list[str]] = field(default_factory=list)

    def chat(self, conversations: list[list[dict[str, str]]], params: FakeSamplingParams, use_tqdm: bool = True):
        prompts = [conversation[-1]["content"] for conversation in conversations]
        self.calls.append(prompts)
        if any("explode" in prompt for prompt in prompts):
            raise ValueError("prompt is longer than max_model_len")
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
    assert (explode.status, explode.error_class, explode.retryable) == ("failed", "generation_error", False)
    assert "max_model_len" in (explode.error or "")
    assert fine.status == "ok"
    assert len(llm.calls) == 4  # the batch, then each prompt alone to find the bad one


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
