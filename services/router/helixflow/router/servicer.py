"""The public Inference service: a thin pass-through to the workers.

Per request: resolve the model, pick a worker, forward, and on a worker failure
before anything reached the client, retry elsewhere (bounded, with backoff).
The per-token loop does one read, one yield and two clock reads; nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, NoReturn, TypeVar, cast

import grpc

from helixflow.common import logs, tracing
from helixflow.common.errors import DeadlineExceeded, HelixError, NoWorker, WorkerLost
from helixflow.common.grpc_errors import to_rpc_status
from helixflow.common.grpc_server import ROUTER_MS_KEY
from helixflow.router import metrics
from helixflow.router.config import RouterSettings
from helixflow.router.pool import Worker
from helixflow.router.routing import Router, prefix_key
from helixflow.router.upstream import LOST, RETRYABLE, RpcStatus, UpstreamError
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc, worker_pb2

Ctx = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")
log = logging.getLogger(__name__)
_EOF = grpc.aio.EOF


class _Clock:
    """Total time of a call and the part spent waiting on workers."""

    __slots__ = ("start", "waited")

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.waited = 0.0

    def router_ms(self) -> float:
        return (time.perf_counter() - self.start - self.waited) * 1000.0


class InferenceServicer(inference_pb2_grpc.InferenceServicer):
    def __init__(self, settings: RouterSettings, router: Router) -> None:
        self._s = settings
        self._router = router

    # -- helpers -------------------------------------------------------------

    def _deadline(self, context: Ctx) -> float:
        """Absolute monotonic deadline: the client's, capped by the router-wide maximum."""
        remaining = context.time_remaining()
        budget = self._s.max_request_s if remaining is None else min(remaining, self._s.max_request_s)
        return time.monotonic() + budget

    def _timeout(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("the request ran out of time before a worker could answer")
        return left

    async def _backoff(self, method: str, attempt: int, worker: Worker, err: grpc.aio.AioRpcError) -> None:
        metrics.RETRIES.labels(method, err.code().name).inc()
        if err.code() == grpc.StatusCode.UNAVAILABLE:
            worker.mark_failed()
        await asyncio.sleep(self._s.retry_backoff_s * (2**attempt))

    def _final_error(self, err: grpc.aio.AioRpcError, worker: Worker) -> HelixError | UpstreamError:
        code = err.code()
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return DeadlineExceeded("deadline exceeded (the client's deadline or the router's max_request_s)")
        if code == grpc.StatusCode.UNAVAILABLE:
            return NoWorker(f"no worker could take the request; last: {worker.address}: {err.details()}")
        return UpstreamError(err)

    async def _unary(
        self,
        method: str,
        model: str,
        deadline: float,
        clock: _Clock,
        invoke: Callable[[Worker, float], Awaitable[T]],
    ) -> T:
        """One unary call with failover; unary calls are safe to retry on any failure before a reply."""
        tried: set[str] = set()
        attempt = 0
        while True:
            worker = self._router.pick(model, None, tried)
            tried.add(worker.address)
            worker.acquire()
            t = time.perf_counter()
            try:
                return await invoke(worker, self._timeout(deadline))
            except grpc.aio.AioRpcError as err:
                if err.code() in RETRYABLE and attempt + 1 < self._s.retry_attempts:
                    await self._backoff(method, attempt, worker, err)
                    attempt += 1
                    continue
                raise self._final_error(err, worker) from None
            finally:
                clock.waited += time.perf_counter() - t
                worker.release()

    async def _finish(self, method: str, context: Ctx, clock: _Clock) -> None:
        ms = clock.router_ms()
        metrics.ROUTER_MS.labels(method).observe(ms)
        context.set_trailing_metadata(((ROUTER_MS_KEY, f"{ms:.3f}"),))

    @staticmethod
    async def _fail(method: str, context: Ctx, err: HelixError | UpstreamError, clock: _Clock) -> NoReturn:
        """End the call with the error's status; the router's own time rides next to its details."""
        metrics.ERRORS.labels(method, err.code.name).inc()
        status = err.status() if isinstance(err, UpstreamError) else to_rpc_status(err)
        trailers = (*status.trailing_metadata, (ROUTER_MS_KEY, f"{clock.router_ms():.3f}"))
        await context.abort_with_status(RpcStatus(status.code, status.details, trailers))
        raise AssertionError("abort_with_status returned")  # it always raises

    # -- RPCs ----------------------------------------------------------------

    async def Generate(
        self, request: inference_pb2.GenerateRequest, context: Ctx
    ) -> AsyncIterator[inference_pb2.GenerateResponse]:
        clock = _Clock()
        with tracing.server_span("router.Generate", context.invocation_metadata(), {"helixflow.model": request.model}):
            try:
                async for reply in self._generate(request, context, clock):
                    yield reply
            except (HelixError, UpstreamError) as err:
                await self._fail("Generate", context, err, clock)
        await self._finish("Generate", context, clock)

    async def _generate(
        self, request: inference_pb2.GenerateRequest, context: Ctx, clock: _Clock
    ) -> AsyncIterator[inference_pb2.GenerateResponse]:
        deadline = self._deadline(context)
        model = self._router.resolve(request.model)
        # One copy into the worker's envelope; workers need the canonical model id and a
        # request id (for Abort and logs).
        upstream = worker_pb2.WorkerGenerateRequest()
        upstream.request.CopyFrom(request)
        request = upstream.request
        request.model = model
        request.request_id = request.request_id or logs.new_request_id()
        if not logs.current_request_id():
            logs.set_request_id(request.request_id)  # a direct gRPC caller sent no x-request-id
        request_md = logs.outgoing_metadata()
        key = None
        if self._router.policy.wants_key:
            key = prefix_key(request, self._s.affinity_block_chars, self._s.affinity_blocks)
        tried: set[str] = set()
        attempt = 0
        while True:
            worker = self._router.pick(model, key, tried)
            tried.add(worker.address)
            timeout = self._timeout(deadline)  # raises when the deadline is spent: before a span opens
            # One child span per attempt, so retries show in the trace (None when tracing is off).
            span = tracing.start_span(
                "router.attempt",
                kind=tracing.CLIENT,
                attributes={"helixflow.worker": worker.address, "helixflow.attempt": attempt + 1},
            )
            md = request_md + tracing.inject_span(span)
            failure: BaseException | None = None
            call = worker.stub.Generate(upstream, timeout=timeout, metadata=md)
            worker.acquire()
            sent = False
            completed = False
            try:
                while True:
                    t = time.perf_counter()
                    reply = await call.read()
                    clock.waited += time.perf_counter() - t
                    if reply is _EOF:
                        break
                    response = cast(worker_pb2.WorkerGenerateResponse, reply).response
                    if response.HasField("complete"):
                        completed = True
                    if not sent:
                        # The router's time up to the first token rides on the response
                        # headers, so the bridge's streaming overhead header can include it.
                        await context.send_initial_metadata(((ROUTER_MS_KEY, f"{clock.router_ms():.3f}"),))
                    yield response
                    sent = True
            except grpc.aio.AioRpcError as err:
                failure = err
                code = err.code()
                if not sent and code in RETRYABLE and attempt + 1 < self._s.retry_attempts:
                    log.info("generate on %s failed with %s; retrying elsewhere", worker.address, code.name)
                    await self._backoff("Generate", attempt, worker, err)
                    attempt += 1
                    continue
                if sent and code in LOST:
                    worker.mark_failed()
                    raise WorkerLost(
                        f"worker {worker.address} was lost mid-stream ({code.name}: {err.details()}); "
                        "the reply is incomplete",
                    ) from None
                raise self._final_error(err, worker) from None
            finally:
                tracing.end_span(span, failure)
                worker.release()
                # Frees the worker's slot when the client cancelled or went away; no-op once done.
                call.cancel()
            if not completed:
                # An OK end without the terminal message would look like a whole reply: refuse it.
                raise WorkerLost(f"worker {worker.address} ended the stream without its terminal message")
            log.info("generate done", extra={"model": model, "worker": worker.address, "attempts": attempt + 1})
            return

    async def Embed(self, request: inference_pb2.EmbedRequest, context: Ctx) -> inference_pb2.EmbedResponse:
        clock = _Clock()
        try:
            reply = await self._embed(request, context, clock)
        except (HelixError, UpstreamError) as err:
            await self._fail("Embed", context, err, clock)
        await self._finish("Embed", context, clock)
        return reply

    async def _embed(
        self, request: inference_pb2.EmbedRequest, context: Ctx, clock: _Clock
    ) -> inference_pb2.EmbedResponse:
        deadline = self._deadline(context)
        model = self._router.resolve(request.model)
        n = len(request.inputs)
        workers = len(self._router.known_models().get(model, []))
        parts = max(1, min(workers, n // max(1, self._s.embed_split_min)))
        size = math.ceil(n / parts) if n else 0
        chunks = [request.inputs[i : i + size] for i in range(0, n, size)] if n else [[]]
        # Everything but the inputs, copied once; each chunk adds its own inputs.
        base = inference_pb2.EmbedRequest()
        base.CopyFrom(request)
        base.model = model
        del base.inputs[:]

        async def one(inputs: Sequence[str]) -> inference_pb2.EmbedResponse:
            upstream = worker_pb2.WorkerEmbedRequest()
            upstream.request.CopyFrom(base)
            upstream.request.inputs.extend(inputs)

            async def invoke(w: Worker, budget_s: float) -> inference_pb2.EmbedResponse:
                return (await w.stub.Embed(upstream, timeout=budget_s, metadata=logs.outgoing_metadata())).response

            return await self._unary("Embed", model, deadline, clock, invoke)

        # Concurrent chunks: each pick sees the others' in-flight count, so they spread.
        replies = await asyncio.gather(*(one(c) for c in chunks))
        if len(replies) == 1:
            return replies[0]
        merged = inference_pb2.EmbedResponse(model=replies[0].model or model, usage=common_pb2.Usage())
        offset = 0
        for part, inputs in zip(replies, chunks, strict=True):
            for e in part.embeddings:
                merged.embeddings.add(index=e.index + offset, values=e.values)
            merged.usage.prompt_tokens += part.usage.prompt_tokens
            merged.usage.cached_tokens += part.usage.cached_tokens
            offset += len(inputs)
        return merged

    async def Tokenize(self, request: inference_pb2.TokenizeRequest, context: Ctx) -> inference_pb2.TokenizeResponse:
        clock = _Clock()
        try:
            model = self._router.resolve(request.model)
            upstream = worker_pb2.WorkerTokenizeRequest(request=request)
            upstream.request.model = model

            async def invoke(w: Worker, budget_s: float) -> inference_pb2.TokenizeResponse:
                md = logs.outgoing_metadata()
                return (await w.stub.Tokenize(upstream, timeout=budget_s, metadata=md)).response

            reply = await self._unary("Tokenize", model, self._deadline(context), clock, invoke)
        except (HelixError, UpstreamError) as err:
            await self._fail("Tokenize", context, err, clock)
        await self._finish("Tokenize", context, clock)
        return reply

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: Ctx
    ) -> inference_pb2.ListModelsResponse:
        reply = inference_pb2.ListModelsResponse()
        for model_id, workers in sorted(self._router.known_models().items()):
            info = workers[0].info
            assert info is not None  # routable workers always have Info
            reply.models.add(
                id=model_id,
                aliases=self._router.aliases_of(model_id),
                context_length=info.context_length,
                supports_generate=info.supports_generate,
                supports_embed=info.supports_embed,
                embedding_dimension=info.embedding_dimension,
                constraints=info.supported_constraints,
                ready_workers=len(workers),
                backend=info.backend,
                # Every serving worker must take tools for the model to advertise them.
                supports_tools=all(w.info is not None and w.info.supports_tools for w in workers),
                tool_parser=info.tool_parser,
            )
        return reply
