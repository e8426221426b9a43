"""Teacher backend running vLLM in this process (a GPU node with the `gpu` extra installed).

vllm is imported only when this backend is opened: it pulls in a CUDA build of torch that the rest of the
platform never needs. `LLM.chat` applies the model's chat template, so R1's template (which opens `<think>` in
the prompt) is respected exactly as on `vllm serve`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from resources.teacher.base import TeacherBackendUnavailable
from resources.teacher.records import SamplingParams, TeacherRequest, TeacherResult, completed, failed
from resources.teacher.retry import GENERATION_ERROR

GPU_EXTRA_HINT = (
    "the teacher backend 'vllm' runs vLLM in-process and needs the vllm package, which the `gpu` extra installs: "
    "`uv sync --extra gpu` on a CUDA node (or use backend 'openai' against a `vllm serve` server)"
)


def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as error:
        raise TeacherBackendUnavailable(f"{GPU_EXTRA_HINT} ({error})") from error
    return vllm


class VLLMTeacher:
    backend = "vllm"

    def __init__(self, llm: Any, sampling_params_cls: Any, model: str, sampling: SamplingParams, batch_size: int):
        self.llm = llm
        self.model = model
        self.sampling = sampling
        self.group_size = batch_size
        self.max_in_flight = batch_size
        self._params = sampling_params_cls(n=1, **sampling.as_dict())

    @classmethod
    def load(cls, model: str, sampling: SamplingParams, batch_size: int, **engine_args: Any) -> VLLMTeacher:
        vllm = import_vllm()
        return cls(vllm.LLM(model=model, **engine_args), vllm.SamplingParams, model, sampling, batch_size)

    async def complete(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        # The engine call blocks for the whole batch: keep the event loop (and the checkpoint writer) free.
        return await asyncio.to_thread(self.generate, requests)

    def generate(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        """Results in request order; the engine sees the batch sorted by prompt length (similar lengths together)."""
        order = sorted(range(len(requests)), key=lambda index: requests[index].prompt_chars)
        batch = [requests[index] for index in order]
        started = time.monotonic()
        try:
            outputs = list(self.llm.chat([request.messages for request in batch], self._params, use_tqdm=False))
            if len(outputs) != len(batch):
                raise RuntimeError(f"vLLM returned {len(outputs)} outputs for {len(batch)} prompts")
        except Exception:
            # One bad prompt (e.g. longer than max_model_len) fails the whole call: isolate it.
            return [self._single(request) for request in requests]
        latency = time.monotonic() - started
        by_key = {
            request.key: self._result(request, output, latency) for request, output in zip(batch, outputs, strict=True)
        }
        return [by_key[request.key] for request in requests]

    def _single(self, request: TeacherRequest) -> TeacherResult:
        started = time.monotonic()
        try:
            (output,) = self.llm.chat([request.messages], self._params, use_tqdm=False)
        except Exception as error:
            return failed(
                request.key,
                error_class=GENERATION_ERROR,
                error=f"{type(error).__name__}: {error}",
                retryable=False,
                **self._common(time.monotonic() - started),
            )
        return self._result(request, output, time.monotonic() - started)

    def _common(self, latency: float) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "sampling": self.sampling,
            "attempts": 1,
            "latency_s": latency,
            "elapsed_s": latency,
        }

    def _result(self, request: TeacherRequest, output: Any, latency: float) -> TeacherResult:
        generated = output.outputs[0]
        return completed(
            request.key,
            content=generated.text,
            reasoning=None,
            finish_reason=generated.finish_reason,
            prompt_tokens=len(output.prompt_token_ids or []),
            completion_tokens=len(generated.token_ids or []),
            served_model=self.model,
            **self._common(latency),
        )

    async def aclose(self) -> None:
        # The engine holds the GPUs until the process ends; dropping the reference lets a later run load again.
        self.llm = None
