"""Exact-match cache of whole Generate streams for deterministic requests.

Only temperature 0 or an explicit seed is deterministic. The key is the model
plus the full request in deterministic protobuf bytes, with the per-call
fields (request id, user, bypass flag) cleared. Tools, tool choice and the
parallel-calls flag are part of the request, so a tool call is never replayed
for a different tool list. A hit replays the very same
message sequence; only streams that finished normally are stored.
"""

from __future__ import annotations

import hashlib
import logging
import struct

from helixflow.router.access.cache.metrics import CACHE_LOOKUPS
from helixflow.router.access.cache.store import BlobStore
from helixflow.router.access.state import REDIS_DOWN, STATE_ERRORS
from helixflow.v1 import common_pb2, inference_pb2

log = logging.getLogger(__name__)

_CACHEABLE_FINISH = {
    common_pb2.FINISH_REASON_STOP,
    common_pb2.FINISH_REASON_LENGTH,
    common_pb2.FINISH_REASON_TOOL_CALLS,
}


def is_deterministic(request: inference_pb2.GenerateRequest) -> bool:
    sampling = request.sampling
    greedy = sampling.HasField("temperature") and sampling.temperature == 0.0
    return greedy or sampling.HasField("seed")


def cache_key(request: inference_pb2.GenerateRequest, model: str) -> str:
    normalized = inference_pb2.GenerateRequest()
    normalized.CopyFrom(request)
    normalized.model = model
    normalized.ClearField("request_id")
    normalized.ClearField("user")
    normalized.ClearField("cache_bypass")
    normalized.ClearField("priority")  # scheduling only: the same answer
    digest = hashlib.sha256(normalized.SerializeToString(deterministic=True)).hexdigest()
    return f"hf:rc:{digest}"


def encode(messages: list[inference_pb2.GenerateResponse]) -> bytes:
    parts = []
    for message in messages:
        data = message.SerializeToString(deterministic=True)
        parts.append(struct.pack(">I", len(data)) + data)
    return b"".join(parts)


def decode(blob: bytes) -> list[inference_pb2.GenerateResponse]:
    messages, offset = [], 0
    while offset < len(blob):
        (size,) = struct.unpack_from(">I", blob, offset)
        offset += 4
        messages.append(inference_pb2.GenerateResponse.FromString(blob[offset : offset + size]))
        offset += size
    return messages


class ResponseCache:
    def __init__(self, store: BlobStore, *, ttl_s: int, max_entry_bytes: int) -> None:
        self._store = store
        self._ttl = ttl_s
        self._max_bytes = max_entry_bytes

    def key_for(self, request: inference_pb2.GenerateRequest, model: str) -> str | None:
        """The cache key, or None when this request must not use the cache."""
        if request.cache_bypass:
            CACHE_LOOKUPS.labels(cache="response", result="bypass").inc()
            return None
        if not is_deterministic(request):
            return None
        return cache_key(request, model)

    async def lookup(self, key: str) -> list[inference_pb2.GenerateResponse] | None:
        try:
            blob = await self._store.get(key)
        except REDIS_DOWN as exc:
            STATE_ERRORS.labels(component="response_cache", outcome="miss").inc()
            log.warning("response cache unreachable (%s); treated as a miss", type(exc).__name__)
            blob = None
        CACHE_LOOKUPS.labels(cache="response", result="miss" if blob is None else "hit").inc()
        return None if blob is None else decode(blob)

    async def store(self, key: str, messages: list[inference_pb2.GenerateResponse]) -> None:
        if not messages or messages[-1].WhichOneof("event") != "complete":
            return
        if messages[-1].complete.finish_reason not in _CACHEABLE_FINISH:
            return
        blob = encode(messages)
        if len(blob) > self._max_bytes:
            return
        try:
            await self._store.set(key, blob, self._ttl)
        except REDIS_DOWN as exc:
            STATE_ERRORS.labels(component="response_cache", outcome="not_stored").inc()
            log.warning("response cache unreachable (%s); entry not stored", type(exc).__name__)
