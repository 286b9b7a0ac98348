"""Embedding cache per (model, flags, input hash). Misses of a request go to the
worker in one call; hits and fresh vectors are merged back in input order."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import struct
from collections.abc import Awaitable, Callable

from helixflow.router.access.cache.metrics import CACHE_LOOKUPS
from helixflow.router.access.cache.store import BlobStore
from helixflow.router.access.state import REDIS_DOWN, STATE_ERRORS
from helixflow.v1 import common_pb2, inference_pb2

log = logging.getLogger(__name__)

EmbedCall = Callable[[inference_pb2.EmbedRequest], Awaitable[inference_pb2.EmbedResponse]]


def _key(model: str, request: inference_pb2.EmbedRequest, text: str) -> str:
    flags = f"{int(request.normalize) if request.HasField('normalize') else 'd'}"
    flags += f"{int(request.truncate) if request.HasField('truncate') else 'd'}"
    digest = hashlib.sha256(f"{model}\0{flags}\0{text}".encode()).hexdigest()
    return f"hf:ec:{digest}"


def _pack(tokens: int, values: list[float]) -> bytes:
    return struct.pack(f">I{len(values)}f", tokens, *values)


def _unpack(blob: bytes) -> tuple[int, list[float]]:
    count = (len(blob) - 4) // 4
    tokens, *values = struct.unpack(f">I{count}f", blob)
    return tokens, values


class EmbeddingCache:
    def __init__(self, store: BlobStore, *, ttl_s: int) -> None:
        self._store = store
        self._ttl = ttl_s

    async def _get_many(self, keys: list[str]) -> list[bytes | None]:
        try:
            return await self._store.get_many(keys)
        except REDIS_DOWN:
            STATE_ERRORS.labels(component="embed_cache", outcome="miss").inc()
            return [None] * len(keys)

    async def _set(self, key: str, blob: bytes) -> None:
        try:
            await self._store.set(key, blob, self._ttl)
        except REDIS_DOWN:
            STATE_ERRORS.labels(component="embed_cache", outcome="not_stored").inc()

    async def embed(
        self, request: inference_pb2.EmbedRequest, model: str, call: EmbedCall
    ) -> inference_pb2.EmbedResponse:
        """Answer from the cache where possible. Usage counts every input, cached or not."""
        if request.cache_bypass:
            CACHE_LOOKUPS.labels(cache="embedding", result="bypass").inc(len(request.inputs))
            return await call(request)
        keys = [_key(model, request, text) for text in request.inputs]
        blobs = await self._get_many(keys)
        found = {index: _unpack(blob) for index, blob in enumerate(blobs) if blob is not None}
        missing = [i for i in range(len(keys)) if i not in found]
        CACHE_LOOKUPS.labels(cache="embedding", result="hit").inc(len(found))
        CACHE_LOOKUPS.labels(cache="embedding", result="miss").inc(len(missing))
        response_model = model
        if missing:
            sub = inference_pb2.EmbedRequest()
            sub.CopyFrom(request)
            del sub.inputs[:]
            sub.inputs.extend(request.inputs[i] for i in missing)
            fresh = await call(sub)
            response_model = fresh.model or model
            # Per-input token counts are apportioned by length: exact for one input, close for several.
            total_chars = sum(len(request.inputs[i]) for i in missing) or 1
            writes = []
            for embedding in fresh.embeddings:
                index = missing[embedding.index]
                share = round(fresh.usage.prompt_tokens * len(request.inputs[index]) / total_chars)
                found[index] = (share, list(embedding.values))
                writes.append(self._set(keys[index], _pack(share, found[index][1])))
            await asyncio.gather(*writes)  # concurrent round trips, not one after another
        response = inference_pb2.EmbedResponse(model=response_model)
        for index in range(len(keys)):
            response.embeddings.add(index=index, values=found[index][1])
        response.usage.CopyFrom(common_pb2.Usage(prompt_tokens=sum(t for t, _ in found.values())))
        return response
