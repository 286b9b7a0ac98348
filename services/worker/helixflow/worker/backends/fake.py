"""BENCHMARK-ONLY fake engine: streams placeholder tokens as fast as asked.

It exists to measure the router's and bridge's own overhead without model
time in the way, and to inject failures in tests. It does no inference and
must never be used to claim anything about model output.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import AsyncGenerator, Sequence

from helixflow.common.errors import InvalidArgument
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    EmbedResult,
    EngineInfo,
    Event,
    Finished,
    FinishReason,
    GenerationRequest,
    LoadReport,
    TextPrompt,
    Timings,
    TokenizeResult,
    TokenPrompt,
    Usage,
)
from helixflow.worker.sampling import validate_sampling

FAKE_TOKEN = "tok "
FAKE_EMBEDDING_DIMENSION = 8


def _words(prompt: TextPrompt | ChatPrompt | TokenPrompt) -> list[str]:
    if isinstance(prompt, TextPrompt):
        return prompt.text.split()
    if isinstance(prompt, ChatPrompt):
        return [w for m in prompt.messages for w in m.content.split()]
    return [str(i) for i in prompt.ids]


class FakeEngine:
    """Benchmark-only: emits ``max_tokens`` (default 16) copies of FAKE_TOKEN."""

    def __init__(self, model_id: str = "fake", max_sequences: int = 64, token_delay_s: float = 0.0) -> None:
        self.model_id = model_id
        self.max_sequences = max_sequences
        self.token_delay_s = token_delay_s
        self._running: dict[str, asyncio.Event] = {}

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> FakeEngine:
        return cls(model_id=settings.model_id, max_sequences=settings.max_sequences)

    async def load(self) -> None:
        return None

    def info(self) -> EngineInfo:
        return EngineInfo(
            model_id=self.model_id,
            backend="fake",
            backend_version="0",
            context_length=4096,
            vocab_size=1,
            eos_token_ids=(0,),
            embedding_dimension=FAKE_EMBEDDING_DIMENSION,
            constraints=frozenset(),
            max_concurrent_sequences=self.max_sequences,
            max_waiting=0,
            has_chat_template=False,
        )

    def alive(self) -> bool:
        return True

    def load_report(self) -> LoadReport:
        return LoadReport(
            waiting=0,
            running=len(self._running),
            max_running=self.max_sequences,
            kv_cache_usage=len(self._running) / self.max_sequences,
            prefix_cache_hit_rate=0.0,
        )

    async def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        validate_sampling(request.sampling)
        if request.sampling.constraint is not None:
            raise InvalidArgument("the fake engine supports no structured output", field="sampling.structured_output")
        started = time.perf_counter()
        aborted = asyncio.Event()
        self._running[request.request_id] = aborted
        count = request.sampling.max_tokens if request.sampling.max_tokens is not None else 16
        first = 0.0
        try:
            for i in range(count):
                if aborted.is_set():
                    yield self._finished(FinishReason.CANCELLED, request, i, started, first)
                    return
                if self.token_delay_s:
                    await asyncio.sleep(self.token_delay_s)
                if i == 0:
                    first = time.perf_counter() - started
                yield Delta(text=FAKE_TOKEN, token_ids=[1])
            yield self._finished(FinishReason.LENGTH, request, count, started, first)
        finally:
            self._running.pop(request.request_id, None)

    def _finished(
        self, reason: FinishReason, request: GenerationRequest, produced: int, started: float, first: float
    ) -> Finished:
        return Finished(
            reason=reason,
            usage=Usage(prompt_tokens=len(_words(request.prompt)), completion_tokens=produced),
            timings=Timings(queue_s=0.0, time_to_first_token_s=first, total_s=time.perf_counter() - started),
        )

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        vectors = []
        for text in inputs:
            digest = hashlib.sha256(text.encode()).digest()
            vector = [b / 255.0 for b in digest[:FAKE_EMBEDDING_DIMENSION]]
            if normalize:
                norm = math.sqrt(sum(v * v for v in vector)) or 1.0
                vector = [v / norm for v in vector]
            vectors.append(vector)
        return EmbedResult(vectors=vectors, prompt_tokens=sum(len(t.split()) for t in inputs))

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        words = _words(prompt)
        return TokenizeResult(
            token_ids=list(range(len(words))), pieces=words if return_pieces else [], rendered_prompt=" ".join(words)
        )

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        hit = [rid for rid in request_ids if rid in self._running]
        for rid in hit:
            self._running[rid].set()
        return hit

    async def close(self) -> None:
        return None
