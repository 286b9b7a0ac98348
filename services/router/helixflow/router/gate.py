"""Per-request access control for the Inference servicer: model scope, quotas,
caches and usage, around the call that reaches a worker.

The servicer resolves the model name, then delegates::

    async for message in gate.generate(request, model, lambda r: self._route_generate(r, context)):
        yield message
    return await gate.embed(request, model, lambda r: self._route_embed(r, context))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from helixflow.router.auth.principal import current_principal
from helixflow.router.cache.embedding import EmbeddingCache
from helixflow.router.cache.response import ResponseCache
from helixflow.router.quota.enforcer import QuotaEnforcer
from helixflow.router.usage.store import UsageRecorder
from helixflow.v1 import common_pb2, inference_pb2

GenerateCall = Callable[[inference_pb2.GenerateRequest], AsyncIterator[inference_pb2.GenerateResponse]]
EmbedCall = Callable[[inference_pb2.EmbedRequest], Awaitable[inference_pb2.EmbedResponse]]


def estimate_prompt_tokens(request: inference_pb2.GenerateRequest) -> int:
    """Admission charge before the worker has tokenized; corrected from the final usage."""
    kind = request.WhichOneof("input")
    if kind == "token_ids":
        return len(request.token_ids.ids)
    if kind == "prompt":
        return max(1, len(request.prompt) // 4)
    if kind == "messages":
        return max(1, request.messages.ByteSize() // 4)
    return 1


class AccessGate:
    def __init__(
        self,
        quota: QuotaEnforcer,
        usage: UsageRecorder,
        response_cache: ResponseCache | None,
        embedding_cache: EmbeddingCache | None,
    ) -> None:
        self._quota = quota
        self._usage = usage
        self._responses = response_cache
        self._embeddings = embedding_cache

    def check_model(self, model: str) -> None:
        """PERMISSION_DENIED unless the caller's scope covers ``model`` (for Tokenize etc.)."""
        current_principal().require_model(model)

    async def generate(
        self, request: inference_pb2.GenerateRequest, model: str, upstream: GenerateCall
    ) -> AsyncIterator[inference_pb2.GenerateResponse]:
        principal = current_principal()
        principal.require_model(model)
        estimate = estimate_prompt_tokens(request)
        await self._quota.admit(principal, estimate)
        slot = await self._quota.open_stream(principal)
        usage: common_pb2.Usage | None = None
        try:
            key = self._responses.key_for(request, model) if self._responses else None
            cached = await self._responses.lookup(key) if self._responses and key else None
            source = _replay(cached) if cached is not None else upstream(request)
            seen: list[inference_pb2.GenerateResponse] = []
            async for message in source:
                if message.WhichOneof("event") == "complete":
                    usage = message.complete.usage
                if key is not None and cached is None:
                    seen.append(message)
                yield message
            if self._responses and key is not None and cached is None:
                await self._responses.store(key, seen)
        finally:
            if slot:
                await self._quota.close_stream(principal)
            # Cached answers are charged like fresh ones: the usage replayed is the original's.
            prompt = usage.prompt_tokens if usage else estimate
            completion = usage.completion_tokens if usage else 0
            await self._quota.reconcile(principal, prompt + completion - estimate)
            await self._usage.record(principal.subject, requests=1, prompt=prompt, completion=completion)

    async def embed(
        self, request: inference_pb2.EmbedRequest, model: str, upstream: EmbedCall
    ) -> inference_pb2.EmbedResponse:
        principal = current_principal()
        principal.require_model(model)
        estimate = max(1, sum(len(text) for text in request.inputs) // 4)
        await self._quota.admit(principal, estimate)
        if self._embeddings is not None:
            response = await self._embeddings.embed(request, model, upstream)
        else:
            response = await upstream(request)
        tokens = response.usage.prompt_tokens
        await self._quota.reconcile(principal, tokens - estimate)
        await self._usage.record(principal.subject, requests=1, prompt=tokens)
        return response


async def _replay(
    messages: list[inference_pb2.GenerateResponse],
) -> AsyncIterator[inference_pb2.GenerateResponse]:
    for message in messages:
        yield message
