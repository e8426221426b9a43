"""Teacher backend running vLLM in this process (a GPU node with the `gpu` extra installed).

vllm is imported only when this backend is opened: it pulls in a CUDA build of torch that the rest of the
platform never needs. `LLM.chat` applies the model's chat template, so R1's template (which opens `<think>` in
the prompt) is respected exactly as on `vllm serve`.

One `LLM.chat` call generates a whole batch, and any exception fails all of it. Two kinds are told apart:
  - **a prompt vLLM refuses** (ValueError/TypeError, a chat template error: longer than max_model_len, empty):
    vLLM validates every prompt before generating, so the call fails at once. The refused prompts are found by
    halving the batch with 1-token probes (prefill only), recorded as `client_error` (final: asking again cannot
    help), and the rest is generated as one batch again, not prompt by prompt;
  - **an engine failure** (anything else: the engine core died, CUDA out of memory): nothing is wrong with the
    prompts. The batch is retried with the teacher's backoff; a dead engine is loaded again first when the
    teacher knows how. When the attempts run out every prompt is `engine_error`, transient: the driver's circuit
    breaker counts it and a later run asks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

from resources.teacher.base import TeacherBackendUnavailable
from resources.teacher.records import SamplingParams, TeacherRequest, TeacherResult, call_fields, completed, failed
from resources.teacher.retry import CLIENT_ERROR, ENGINE_ERROR, RetryPolicy

GPU_EXTRA_HINT = (
    "the teacher backend 'vllm' runs vLLM in-process and needs the vllm package, which the `gpu` extra installs: "
    "`uv sync --extra gpu` on a CUDA node (or use backend 'openai' against a `vllm serve` server)"
)
# vLLM V1 raises EngineDeadError once its engine core process is gone; the V0 async engine said AsyncEngineDeadError.
DEAD_ENGINE_ERRORS = ("EngineDeadError", "AsyncEngineDeadError")

Refused = dict[str, str]  # request key → why vLLM refused the prompt


def import_vllm() -> Any:
    try:
        import vllm
    except ImportError as error:
        raise TeacherBackendUnavailable(f"{GPU_EXTRA_HINT} ({error})") from error
    return vllm


def refuses_input(error: BaseException) -> bool:
    """vLLM refused a prompt (or its parameters), as opposed to the engine failing."""
    if isinstance(error, ValueError | TypeError):
        return True
    # jinja2 errors (a chat template's raise_exception), matched by name: jinja2 is not imported here.
    return any(cls.__module__.startswith("jinja2") and cls.__name__ == "TemplateError" for cls in type(error).mro())


def engine_is_dead(error: BaseException) -> bool:
    return any(cls.__name__ in DEAD_ENGINE_ERRORS for cls in type(error).mro())


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class VLLMTeacher:
    backend = "vllm"

    def __init__(
        self,
        llm: Any,
        sampling_params_cls: Any,
        model: str,
        sampling: SamplingParams,
        batch_size: int,
        policy: RetryPolicy | None = None,
        load_engine: Callable[[], Any] | None = None,
    ):
        self.llm = llm
        self.model = model
        self.sampling = sampling
        self.group_size = batch_size
        self.max_in_flight = batch_size
        self.policy = policy or RetryPolicy()
        self._load_engine = load_engine
        self._params = sampling_params_cls(n=1, **sampling.as_dict())
        self._probe_params = sampling_params_cls(n=1, **{**sampling.as_dict(), "max_tokens": 1})

    @classmethod
    def load(
        cls, model: str, sampling: SamplingParams, batch_size: int, policy: RetryPolicy, **engine_args: Any
    ) -> VLLMTeacher:
        vllm = import_vllm()

        def load_engine() -> Any:
            return vllm.LLM(model=model, **engine_args)

        return cls(load_engine(), vllm.SamplingParams, model, sampling, batch_size, policy, load_engine)

    async def complete(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        # The engine call blocks for the whole batch: keep the event loop (and the checkpoint writer) free.
        return await asyncio.to_thread(self.generate, requests)

    def generate(self, requests: Sequence[TeacherRequest]) -> list[TeacherResult]:
        """Results in request order; the engine sees the batch sorted by prompt length (similar lengths together)."""
        batch = sorted(requests, key=lambda request: request.prompt_chars)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            sent = time.monotonic()
            try:
                outputs, refused = self._generate_batch(batch)
                break
            except Exception as error:
                if attempt >= self.policy.request_attempts:
                    common = self._common(attempt, sent, started)
                    return [
                        failed(r.key, error_class=ENGINE_ERROR, error=describe(error), retryable=True, **common)
                        for r in requests
                    ]
                self._recover(error)
                time.sleep(self.policy.delay(attempt, None))
        common = self._common(attempt, sent, started)
        return [
            self._result(request, outputs[request.key], common)
            if request.key in outputs
            else failed(request.key, error_class=CLIENT_ERROR, error=refused[request.key], retryable=False, **common)
            for request in requests
        ]

    def _generate_batch(self, batch: list[TeacherRequest]) -> tuple[dict[str, Any], Refused]:
        """Outputs by request key and the prompts vLLM refused; an engine failure propagates."""
        try:
            return self._chat(batch, self._params), {}
        except Exception as error:
            if not refuses_input(error):
                raise
        _, refused = self._isolate(batch, self._probe_params)
        if not refused:  # refused only with the real parameters: halve with those instead
            return self._isolate(batch, self._params)
        rest = [request for request in batch if request.key not in refused]
        outputs, refused_again = self._isolate(rest, self._params) if rest else ({}, {})
        return outputs, refused | refused_again

    def _isolate(self, batch: list[TeacherRequest], params: Any) -> tuple[dict[str, Any], Refused]:
        """Run the batch, halving it around the prompts vLLM refuses (a few calls per refused prompt and level)."""
        try:
            return self._chat(batch, params), {}
        except Exception as error:
            if not refuses_input(error):
                raise
            if len(batch) == 1:
                return {}, {batch[0].key: describe(error)}
        middle = len(batch) // 2
        left_outputs, left_refused = self._isolate(batch[:middle], params)
        right_outputs, right_refused = self._isolate(batch[middle:], params)
        return left_outputs | right_outputs, left_refused | right_refused

    def _chat(self, batch: list[TeacherRequest], params: Any) -> dict[str, Any]:
        if self.llm is None:
            if self._load_engine is None:
                raise TeacherBackendUnavailable("the vLLM engine is closed")
            self.llm = self._load_engine()
        outputs = list(self.llm.chat([request.messages for request in batch], params, use_tqdm=False))
        if len(outputs) != len(batch):
            raise RuntimeError(f"vLLM returned {len(outputs)} outputs for {len(batch)} prompts")
        return {request.key: output for request, output in zip(batch, outputs, strict=True)}

    def _recover(self, error: BaseException) -> None:
        """A dead engine is dropped so the next attempt loads a new one (its GPU memory went with its process)."""
        if engine_is_dead(error) and self._load_engine is not None:
            self.llm = None

    def _common(self, attempt: int, sent: float, started: float) -> dict[str, Any]:
        return call_fields(self.backend, self.model, self.sampling, attempt, sent, started, endpoint=None)

    def _result(self, request: TeacherRequest, output: Any, common: dict[str, Any]) -> TeacherResult:
        generated = output.outputs[0]
        return completed(
            request.key,
            content=generated.text,
            reasoning=None,
            finish_reason=generated.finish_reason,
            prompt_tokens=len(output.prompt_token_ids or []),
            completion_tokens=len(generated.token_ids or []),
            served_model=self.model,
            **common,
        )

    async def aclose(self) -> None:
        # The engine holds the GPUs until the process ends; dropping the reference lets a later run load again.
        self.llm = None
        self._load_engine = None
