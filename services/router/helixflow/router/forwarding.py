"""Forwarding admitted calls to the workers: the worker envelopes, one attempt loop
per kind of call (``helixflow.router.attempts`` decides retries), and Embed's split
across workers and merge back as pure functions.

The per-token loop does one read, one slice of the worker's envelope, one look at
the message's field tags, one yield and two clock reads; token messages are never
parsed (``helixflow.router.wire``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar, cast

import grpc

from helixflow.common import logs
from helixflow.common.errors import DeadlineExceeded, WorkerLost
from helixflow.router import fallback, wire
from helixflow.router.attempts import Attempt, Retry
from helixflow.router.call import Call
from helixflow.router.coalesce import coalesce
from helixflow.router.config import RouterSettings
from helixflow.router.routing import Router, prefix_key
from helixflow.router.wire import Reply
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2

T = TypeVar("T")
log = logging.getLogger(__name__)
_EOF = grpc.aio.EOF
_WORKER_GENERATE = "/helixflow.v1.Worker/Generate"
_SERIALIZE_ENVELOPE = worker_pb2.WorkerGenerateRequest.SerializeToString


def generate_envelope(request: inference_pb2.GenerateRequest, model: str) -> worker_pb2.WorkerGenerateRequest:
    """One copy into the worker's envelope, with the canonical model id and a request id
    (for Abort and logs)."""
    upstream = worker_pb2.WorkerGenerateRequest()
    upstream.request.CopyFrom(request)
    upstream.request.model = model
    upstream.request.request_id = upstream.request.request_id or logs.new_request_id()
    return upstream


def split_embed(
    request: inference_pb2.EmbedRequest, model: str, workers: int, split_min: int
) -> list[worker_pb2.WorkerEmbedRequest]:
    """The worker requests of one Embed: the inputs in order, in at most one chunk per
    worker and chunks of at least ``split_min`` inputs (always one chunk)."""
    n = len(request.inputs)
    parts = max(1, min(workers, n // max(1, split_min)))
    size = max(1, math.ceil(n / parts))
    # Everything but the inputs, copied once; each chunk adds its own inputs.
    base = inference_pb2.EmbedRequest()
    base.CopyFrom(request)
    base.model = model
    del base.inputs[:]
    chunks = []
    for start in range(0, max(n, 1), size):
        chunk = worker_pb2.WorkerEmbedRequest()
        chunk.request.CopyFrom(base)
        chunk.request.inputs.extend(request.inputs[start : start + size])
        chunks.append(chunk)
    return chunks


def merge_embed(
    chunks: Sequence[worker_pb2.WorkerEmbedRequest], replies: Sequence[inference_pb2.EmbedResponse], model: str
) -> inference_pb2.EmbedResponse:
    """One response from the chunks' replies: indexes shifted to the whole request, usage summed."""
    if len(replies) == 1:
        return replies[0]
    merged = inference_pb2.EmbedResponse(model=replies[0].model or model, usage=common_pb2.Usage())
    offset = 0
    for chunk, part in zip(chunks, replies, strict=True):
        for e in part.embeddings:
            merged.embeddings.add(index=e.index + offset, values=e.values)
        merged.usage.prompt_tokens += part.usage.prompt_tokens
        merged.usage.cached_tokens += part.usage.cached_tokens
        offset += len(chunk.request.inputs)
    return merged


class Forwarder:
    """Sends calls to the workers the router picks. Holds no per-request state."""

    def __init__(self, router: Router, settings: RouterSettings) -> None:
        self._router = router
        self._s = settings

    def _retry(self, method: str) -> Retry:
        return Retry(method, self._s.retry_attempts, self._s.retry_backoff_s)

    def generate(self, request: inference_pb2.GenerateRequest, model: str, call: Call) -> AsyncIterator[Reply]:
        """The stream's messages as bytes (``helixflow.router.wire``), coalesced for slow
        clients when ``stream_interval_ms`` is set."""
        targets = self._s.fallbacks.get(model)
        if targets:
            first_s = self._s.fallback_first_token_s
            replies = fallback.chain(
                model, targets, call, lambda t, last: self._generate(request, t, call, 0.0 if last else first_s)
            )
        else:
            replies = self._generate(request, model, call)
        interval_s = self._s.stream_interval_ms / 1000.0
        return coalesce(replies, interval_s) if interval_s > 0 else replies

    def _target(self, model: str) -> str:
        """Embed and Tokenize on a fallback alias go to its first target with a ready worker."""
        targets = self._s.fallbacks.get(model)
        if not targets:
            return model
        known = self._router.known_models()
        return next((t for t in targets if t in known), targets[0])

    async def _generate(
        self, request: inference_pb2.GenerateRequest, model: str, call: Call, first_s: float = 0.0
    ) -> AsyncGenerator[Reply, None]:
        upstream = generate_envelope(request, model)
        if not logs.current_request_id():
            logs.set_request_id(upstream.request.request_id)  # a direct gRPC caller sent no x-request-id
        key = None
        if self._router.policy.wants_key:
            key = prefix_key(upstream.request, self._s.affinity_block_chars, self._s.affinity_blocks)
        retry = self._retry("Generate")
        while True:  # one attempt per turn; Attempt swallows a failure only when a retry may follow
            async with Attempt(self._router, retry, call, model, key) as attempt:
                # Raw bytes back from the worker: each token message goes on unparsed.
                generate: grpc.aio.UnaryStreamMultiCallable[worker_pb2.WorkerGenerateRequest, bytes]
                generate = attempt.worker.channel.unary_stream(
                    _WORKER_GENERATE, request_serializer=_SERIALIZE_ENVELOPE, response_deserializer=None
                )
                rpc = generate(upstream, timeout=attempt.timeout, metadata=attempt.metadata)
                attempt.rpc = rpc
                sent = completed = False
                while True:
                    t = time.perf_counter()
                    envelope = await (_first_read(rpc, first_s) if first_s and not sent else rpc.read())
                    call.waited += time.perf_counter() - t
                    if envelope is _EOF:
                        break
                    message = wire.reply(wire.unwrap(cast(bytes, envelope)))
                    if message[1] is not None:  # the terminal Complete, parsed
                        completed = True
                    if not sent:
                        await call.first_reply(request.priority)
                        sent = attempt.sent = True
                    yield message
                if not completed:
                    # An OK end without the terminal message would look like a whole reply: refuse it.
                    raise WorkerLost(f"worker {attempt.worker.address} ended the stream without its terminal message")
                log.info(
                    "generate done",
                    extra={"model": model, "worker": attempt.worker.address, "attempts": retry.attempts},
                )
                return

    async def embed(self, request: inference_pb2.EmbedRequest, model: str, call: Call) -> inference_pb2.EmbedResponse:
        model = self._target(model)
        workers = len(self._router.known_models().get(model, []))
        chunks = split_embed(request, model, workers, self._s.embed_split_min)

        async def one(chunk: worker_pb2.WorkerEmbedRequest) -> inference_pb2.EmbedResponse:
            reply = await self._unary(
                "Embed", model, call, lambda a: a.worker.stub.Embed(chunk, timeout=a.timeout, metadata=a.metadata)
            )
            return reply.response

        # Concurrent chunks: each pick sees the others' in-flight count, so they spread.
        return merge_embed(chunks, await asyncio.gather(*(one(c) for c in chunks)), model)

    async def tokenize(
        self, request: inference_pb2.TokenizeRequest, model: str, call: Call
    ) -> inference_pb2.TokenizeResponse:
        model = self._target(model)
        upstream = worker_pb2.WorkerTokenizeRequest(request=request)
        upstream.request.model = model
        reply = await self._unary(
            "Tokenize", model, call, lambda a: a.worker.stub.Tokenize(upstream, timeout=a.timeout, metadata=a.metadata)
        )
        return reply.response

    async def _unary(self, method: str, model: str, call: Call, send: Callable[[Attempt], Awaitable[T]]) -> T:
        """A unary call with failover: safe to retry on another worker until it answered."""
        retry = self._retry(method)
        while True:  # as in generate
            async with Attempt(self._router, retry, call, model) as attempt:
                return await call.wait(send(attempt))


async def _first_read(rpc: grpc.aio.UnaryStreamCall[worker_pb2.WorkerGenerateRequest, bytes], limit_s: float) -> object:
    """The first message of a fallback target, or DEADLINE_EXCEEDED after ``limit_s`` (the next target is tried)."""
    try:
        return await asyncio.wait_for(rpc.read(), limit_s)
    except TimeoutError:
        raise DeadlineExceeded(f"no first message within fallback_first_token_s={limit_s}") from None
