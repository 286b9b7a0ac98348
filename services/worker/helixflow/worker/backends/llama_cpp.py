"""The llama.cpp backend: an ``Engine`` with continuous batching.

The heavy lifting lives in ``llama_plan`` (what runs) and ``llama_scheduler``
(the decode thread that runs it); this module validates requests on the
asyncio side, turns prompts into tokens, and hands back the stream of the
scheduler's handle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence

import llama_cpp

from helixflow.common.errors import Draining, InvalidArgument, ModelNotFound, PromptTooLong
from helixflow.worker.backends.llama_adapters import LoraAdapters
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_embed import Embedder
from helixflow.worker.backends.llama_grammar_first import GrammarFirstChain
from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.backends.llama_sampling import SUPPORTED_CONSTRAINTS, SamplerChain
from helixflow.worker.backends.llama_scheduler import Job, Scheduler
from helixflow.worker.backends.stops import TextAssembler
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    ChatPrompt,
    EmbedResult,
    EngineInfo,
    Event,
    GenerationRequest,
    LoadReport,
    Prompt,
    TextPrompt,
    TokenizeResult,
    TokenPrompt,
    Tool,
)
from helixflow.worker.sampling import validate_sampling
from helixflow.worker.tools.plan import plan_tools
from helixflow.worker.tools.stream import with_tool_calls


class LlamaCppEngine:
    """Implements ``helixflow.worker.engine.Engine``."""

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> LlamaCppEngine:
        """Map the worker's settings onto the backend's own config."""
        overrides: dict[str, object] = {
            "model_id": settings.model_id,
            "n_ctx_per_seq": settings.context_per_sequence,
            "max_sequences": settings.max_sequences,
            "max_waiting": settings.max_waiting,
            "queue_shares": settings.queue_shares,
            "priority_aging_s": settings.priority_aging_s,
            "n_gpu_layers": settings.llama.n_gpu_layers,
            "extra_buffer_types": settings.llama.extra_buffer_types,
            "adapters": tuple(settings.adapters),
        }
        if settings.model_path is not None:
            overrides["model_path"] = str(settings.model_path)
        if settings.chat_template:
            overrides["chat_template"] = settings.chat_template
        if settings.llama.step_budget_ms is not None:
            overrides["step_budget_ms"] = settings.llama.step_budget_ms
        if settings.llama.n_threads is not None:
            overrides["n_threads"] = settings.llama.n_threads
        return cls(LlamaEngineConfig.model_validate(overrides))

    def __init__(self, config: LlamaEngineConfig | None = None) -> None:
        self.config = config or LlamaEngineConfig()
        self._model: LlamaModel | None = None
        self._scheduler: Scheduler | None = None
        self._embedder: Embedder | None = None
        self._adapters: LoraAdapters | None = None
        self._info: EngineInfo | None = None

    async def load(self) -> None:
        if self._model is not None:  # the Engine contract: a second call does nothing
            return
        await asyncio.to_thread(self._load_sync)

    def _load_sync(self) -> None:
        cfg = self.config
        model = LlamaModel(cfg)
        self._model = model
        if cfg.adapters:
            self._adapters = LoraAdapters(model.ptr, cfg.adapters)
        self._scheduler = Scheduler(model, cfg, self._adapters)
        if cfg.embedding_ctx:
            self._embedder = Embedder(model, cfg.embedding_ctx, cfg.n_threads)
        self._info = EngineInfo(
            model_id=cfg.model_id,
            backend="llama.cpp",
            backend_version=llama_cpp.__version__,
            context_length=self._scheduler.n_ctx_seq,
            vocab_size=model.n_vocab,
            eos_token_ids=tuple(sorted(model.eog_ids)),
            embedding_dimension=model.n_embd,
            constraints=SUPPORTED_CONSTRAINTS,
            max_concurrent_sequences=cfg.max_sequences,
            max_waiting=cfg.max_waiting,
            has_chat_template=model.chat_template.from_model,
            supports_embed=self._embedder is not None,
            engine_options={"extra_buffer_types": model.extra_buffers.describe()},
            tool_parser=model.chat_template.tool_parser,
            adapters=self._adapters.ids if self._adapters is not None else (),
        )

    def info(self) -> EngineInfo:
        if self._info is None:
            raise RuntimeError("engine not loaded")
        return self._info

    def alive(self) -> bool:
        return self._scheduler is not None and self._scheduler.running()

    def load_report(self) -> LoadReport:
        if self._scheduler is None:
            return LoadReport(0, 0, self.config.max_sequences, 0.0, 0.0)
        return self._scheduler.load()

    def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        # Everything that can be refused is checked here, before the caller sees an iterator.
        model, scheduler = self._ready()
        if request.adapter and (self._adapters is None or request.adapter not in self._adapters):
            raise ModelNotFound(f"no LoRA adapter {request.adapter!r} on this worker", field="model")
        tools = plan_tools(request, model.chat_template.tool_parser)
        opts = tools.sampling
        validate_sampling(opts)
        prompt = self._prompt_tokens(request.prompt, tools.tools)
        if len(prompt) >= scheduler.n_ctx_seq:
            raise PromptTooLong(
                f"prompt has {len(prompt)} tokens but the context per sequence is {scheduler.n_ctx_seq} "
                "tokens (at least one must be left for output)",
                field="prompt",
            )
        chain = (GrammarFirstChain if tools.grammar_first else SamplerChain)(model.vocab, opts, model.eog_ids)
        job = Job(
            request.request_id,
            prompt,
            opts.max_tokens or scheduler.n_ctx_seq,
            request.priority,
            sampling=opts,
            chain=chain,
            assembler=TextAssembler(opts.stop),
            ends=frozenset(opts.stop_token_ids) | (frozenset() if opts.ignore_eos else model.eog_ids),
            adapter=request.adapter,
        )
        try:
            handle = scheduler.submit(job)
        except BaseException:
            chain.free()
            raise
        stream = handle.events()
        return stream if tools.parser is None else with_tool_calls(stream, tools.parser)

    def _prompt_tokens(self, prompt: Prompt, tools: tuple[Tool, ...] = ()) -> list[int]:
        model, _ = self._ready()
        if isinstance(prompt, TokenPrompt):
            ids = list(prompt.ids)
            if any(not 0 <= t < model.n_vocab for t in ids):
                raise InvalidArgument(f"token ids must be in [0, {model.n_vocab})", field="token_ids")
        elif isinstance(prompt, ChatPrompt):
            ids = model.tokenize(model.chat_template.render(prompt.messages, tools), special=True)
        else:
            ids = model.tokenize(prompt.text, special=True)
        if not ids:
            raise InvalidArgument("prompt is empty", field="prompt")
        return ids

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        if self._embedder is None:
            raise InvalidArgument("embeddings are disabled on this worker")
        return await asyncio.to_thread(self._embedder.embed, inputs, normalize=normalize, truncate=truncate)

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        model, _ = self._ready()
        text = model.chat_template.render(prompt.messages) if isinstance(prompt, ChatPrompt) else prompt.text
        ids = model.tokenize(text, special=True)
        pieces = [model.piece(t, special=True).decode(errors="replace") for t in ids] if return_pieces else []
        return TokenizeResult(token_ids=ids, pieces=pieces, rendered_prompt=text)

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        if self._scheduler is None:
            return []
        return [rid for rid in request_ids if self._scheduler.abort(rid, notify=True)]

    async def close(self) -> None:
        scheduler, embedder, model, adapters = self._scheduler, self._embedder, self._model, self._adapters
        self._scheduler = self._embedder = self._model = self._adapters = None
        if scheduler is not None:
            await asyncio.to_thread(scheduler.close)
        if embedder is not None:
            embedder.close()
        if adapters is not None:  # after the context that used them, before their model
            adapters.close()
        if model is not None:
            model.close()

    def _ready(self) -> tuple[LlamaModel, Scheduler]:
        if self._model is None or self._scheduler is None:
            raise Draining("the engine is not loaded or is closing")
        return self._model, self._scheduler
