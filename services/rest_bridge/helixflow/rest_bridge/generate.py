"""Runs one OpenAI completion request as n parallel gRPC Generate calls.

Non-streaming: read every stream to its end and build one response.
Streaming: wait for each call's first message (so an early error is a proper
HTTP status, not an error event), then turn the merged streams into SSE.
Whatever ends the stream (done, error, client gone), every call is cancelled.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from helixflow.common.errors import HelixError, WorkerLost
from helixflow.rest_bridge.client import Metadata, RouterClient, priority, router_ms
from helixflow.rest_bridge.coalesce import coalesce
from helixflow.rest_bridge.errors import to_api_error
from helixflow.rest_bridge.schemas.service_tier import ServiceTiers
from helixflow.rest_bridge.schemas.tools import tool_call_chunk
from helixflow.rest_bridge.sse import DONE, ChunkEncoder, error_event
from helixflow.rest_bridge.translate import chat_logprobs, finish_reason, text_logprobs, usage_dict
from helixflow.v1 import common_pb2, inference_pb2

Call = grpc.aio.UnaryStreamCall[inference_pb2.GenerateRequest, inference_pb2.GenerateResponse]
Stream = AsyncIterator[inference_pb2.GenerateResponse]


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex}"


def fan_out(req: inference_pb2.GenerateRequest, n: int) -> list[inference_pb2.GenerateRequest]:
    """n copies; with a seed, choice i uses seed + i so the choices differ but stay reproducible.
    One choice sends ``req`` itself (no copy)."""
    if n == 1:
        return [req]
    out = []
    for i in range(n):
        copy = inference_pb2.GenerateRequest()
        copy.CopyFrom(req)
        if i and req.sampling.HasField("seed"):
            copy.sampling.seed = req.sampling.seed + i
        out.append(copy)
    return out


@dataclass
class ChoiceResult:
    text: str
    logprobs: list[common_pb2.TokenLogprob]
    complete: common_pb2.Complete
    router_ms: float


@dataclass
class Generation:
    """The n calls behind one request, with the timings the overhead header needs."""

    calls: list[Call]
    started: float = field(default_factory=time.perf_counter)
    grpc_wait_s: float = 0.0

    @classmethod
    def start(cls, client: RouterClient, reqs: list[inference_pb2.GenerateRequest], md: Metadata) -> Generation:
        return cls([client.stub.Generate(r, metadata=md, timeout=client.timeout_s) for r in reqs])

    def cancel(self) -> None:
        for call in self.calls:
            call.cancel()

    async def collect(self) -> list[ChoiceResult]:
        """Non-streaming: every choice read to its terminal message."""
        try:
            results = await asyncio.gather(*(_collect(c) for c in self.calls))
        finally:
            self.cancel()  # no-op for finished calls; stops the rest on the first failure
        self.grpc_wait_s = time.perf_counter() - self.started
        return list(results)

    async def prime(self) -> tuple[list[Stream], list[inference_pb2.GenerateResponse]]:
        """Streaming: each call's first message (raises the call's error if it fails early)."""
        iters: list[Stream] = [aiter(c) for c in self.calls]
        try:
            # One call (the usual case) needs no task per call.
            firsts = [await _first(iters[0])] if len(iters) == 1 else list(await asyncio.gather(*map(_first, iters)))
        except BaseException:
            self.cancel()
            raise
        self.grpc_wait_s = time.perf_counter() - self.started
        return iters, firsts

    async def header_router_ms(self) -> float:
        """The router's time up to the first token (it sends it in the response headers)."""
        return router_ms(await self.calls[0].initial_metadata())

    async def served_tier(self, tiers: ServiceTiers, asked: str | None) -> str:
        """The ``service_tier`` a response names, in ``tiers``: the class the router ran at."""
        return tiers.served(priority(await self.calls[0].initial_metadata()), asked)


async def _first(it: Stream) -> inference_pb2.GenerateResponse:
    try:
        return await anext(it)
    except StopAsyncIteration:
        raise WorkerLost("generation stream ended without a terminal message") from None


async def until_complete(
    first: inference_pb2.GenerateResponse, it: Stream
) -> AsyncIterator[inference_pb2.GenerateResponse]:
    """One call's messages from ``first`` through the terminal one (WorkerLost if the stream ends before)."""
    msg: inference_pb2.GenerateResponse | None = first
    while msg is not None:
        yield msg
        if msg.HasField("complete"):
            return
        msg = await anext(it, None)
    raise WorkerLost("generation stream ended without a terminal message")


async def _collect(call: Call) -> ChoiceResult:
    parts: list[str] = []
    logprobs: list[common_pb2.TokenLogprob] = []
    async for msg in call:
        if msg.HasField("delta"):
            parts.append(msg.delta.text)
            logprobs.extend(msg.delta.logprobs)
        else:
            finish_reason(msg.complete)  # raises on cancelled/error
            return ChoiceResult("".join(parts), logprobs, msg.complete, router_ms(await call.trailing_metadata()))
    raise WorkerLost("generation stream ended without a terminal message")


async def _merged(iters: list[Stream], firsts: list[inference_pb2.GenerateResponse]) -> AsyncIterator[tuple[int, Any]]:
    """(choice index, message) from all streams; one stream needs no queue."""
    if len(iters) == 1:
        yield 0, firsts[0]
        async for msg in iters[0]:
            yield 0, msg
        return
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()

    async def pump(index: int) -> None:
        try:
            await queue.put((index, firsts[index]))
            async for msg in iters[index]:
                await queue.put((index, msg))
            await queue.put((index, None))  # stream closed
        except Exception as exc:
            await queue.put((index, exc))

    tasks = [asyncio.create_task(pump(i)) for i in range(len(iters))]
    try:
        completed: set[int] = set()
        while len(completed) < len(iters):
            index, item = await queue.get()
            if isinstance(item, Exception):
                raise item
            if item is None:
                if index not in completed:
                    raise WorkerLost("generation stream ended without a terminal message")
                continue
            if item.HasField("complete"):
                completed.add(index)
            yield index, item
    finally:
        for task in tasks:
            task.cancel()


async def sse_stream(
    gen: Generation,
    iters: list[Stream],
    firsts: list[inference_pb2.GenerateResponse],
    enc: ChunkEncoder,
    want_logprobs: bool,
    interval_s: float = 0.0,
) -> AsyncIterator[bytes]:
    """The SSE body: role chunks (chat), content, finish per choice, usage when asked, [DONE].
    With ``interval_s``, deltas queued for a slow client leave merged (``coalesce``).

    The events of one gRPC message leave as one piece (one socket write): the role chunks
    with the first message's content, the last finish with the usage and [DONE]."""
    n = len(iters)
    offsets = [0] * n
    usages: list[common_pb2.Usage] = []
    out: list[bytes] = [enc.role(i) for i in range(n)] if enc.chat else []
    try:
        messages = _merged(iters, firsts)
        async for index, msg in coalesce(messages, interval_s) if interval_s > 0 else messages:
            if msg.HasField("delta"):
                _delta_events(out, enc, index, msg.delta, want_logprobs, offsets)
            else:
                out.append(enc.finish(index, finish_reason(msg.complete)))
                usages.append(msg.complete.usage)
                if n == 1:
                    break
            if out:
                piece = b"".join(out)
                out.clear()
                yield piece
        if len(usages) < n:
            raise WorkerLost("generation stream ended without a terminal message")
        if enc.include_usage:
            out.append(enc.usage(usage_dict(usages)))
    except (grpc.aio.AioRpcError, HelixError) as exc:
        out.append(error_event(to_api_error(exc)))
    finally:
        gen.cancel()
    out.append(DONE)
    yield b"".join(out)


def _delta_events(
    out: list[bytes],
    enc: ChunkEncoder,
    index: int,
    delta: common_pb2.TokenDelta,
    want_logprobs: bool,
    offsets: list[int],
) -> None:
    """Appends the SSE events of one delta of choice ``index`` to ``out``."""
    if delta.tool_calls and enc.chat:
        if delta.text:
            out.append(enc.text(index, delta.text))
        out.extend(enc.tool_call(index, tool_call_chunk(call)) for call in delta.tool_calls)
        return
    if not want_logprobs:
        if delta.text:  # an empty delta (held-back stop or tool-call markup) says nothing
            out.append(enc.text(index, delta.text))
        return
    items = list(delta.logprobs)
    lp = chat_logprobs(items) if enc.chat else text_logprobs(items, offsets[index])
    offsets[index] += len(delta.text)
    out.append(enc.text_with_logprobs(index, delta.text, lp))
