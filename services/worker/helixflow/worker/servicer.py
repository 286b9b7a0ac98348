"""The Worker gRPC servicer: thin. Converts, calls the engine, converts back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import grpc

from helixflow.common import logs, tracing
from helixflow.common.errors import Draining, InvalidArgument
from helixflow.v1 import worker_pb2, worker_pb2_grpc
from helixflow.worker import convert, stream_interval
from helixflow.worker.engine import Delta, Engine, TokenPrompt
from helixflow.worker.metrics import WorkerMetrics

Context = grpc.aio.ServicerContext[Any, Any]
log = logging.getLogger(__name__)


class InFlight:
    """Counts open Generate streams so a drain can wait for them to finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()


class WorkerServicer(worker_pb2_grpc.WorkerServicer):
    def __init__(
        self, engine: Engine, metrics: WorkerMetrics, load_report_ms: int, stream_interval_ms: float = 0.0
    ) -> None:
        self.engine = engine
        self.metrics = metrics
        self.draining = False
        self.in_flight = InFlight()
        self._load_report_ms = load_report_ms
        self._stream_interval_s = stream_interval_ms / 1000

    async def Generate(
        self, request: worker_pb2.WorkerGenerateRequest, context: Context
    ) -> AsyncIterator[worker_pb2.WorkerGenerateResponse]:
        if self.draining:
            raise Draining("worker is draining for shutdown; retry on another worker", retry_after_s=0.0)
        if not logs.current_request_id():
            logs.set_request_id(request.request.request_id)  # called without x-request-id metadata
        domain = convert.generation_request(request.request)
        if domain.tools is not None and not self.engine.info().tool_parser:
            raise InvalidArgument(f"the {self.engine.info().backend} backend does not serve tools yet", field="tools")
        started = last = time.perf_counter()
        first = True
        self.in_flight.enter()
        outcome = "cancelled"
        failure: BaseException | None = None
        # Not made current: the span must outlive each ``yield`` (None when tracing is off).
        span = tracing.start_span(
            "worker.Generate",
            metadata=context.invocation_metadata(),
            kind=tracing.SERVER,
            attributes={"helixflow.model": request.request.model},
        )
        try:
            async with aclosing(stream_interval.paced(self.engine.generate(domain), self._stream_interval_s)) as events:
                async for event in events:
                    if isinstance(event, Delta):
                        now = time.perf_counter()
                        if first:
                            self.metrics.ttft.observe(now - started)
                            first = False
                        else:
                            self.metrics.inter_token.observe(now - last)
                        last = now
                        self.metrics.generated_tokens.inc(len(event.token_ids))
                        yield convert.delta_to_pb(event)
                    else:
                        outcome = event.reason.value
                        yield convert.finished_to_pb(event)
        except Exception as err:
            outcome = "error"
            failure = err
            raise
        finally:
            tracing.end_span(span, failure)
            self.metrics.requests.labels(outcome).inc()
            self.in_flight.leave()
            # One line per request, never per token.
            log.info(
                "generate %s",
                outcome,
                extra={"engine_request_id": domain.request_id, "seconds": round(time.perf_counter() - started, 4)},
            )

    async def Embed(self, request: worker_pb2.WorkerEmbedRequest, context: Context) -> worker_pb2.WorkerEmbedResponse:
        req = request.request
        if not req.inputs:
            raise InvalidArgument("inputs is empty: send at least one text", field="inputs")
        normalize = req.normalize if req.HasField("normalize") else True
        truncate = req.truncate if req.HasField("truncate") else False
        result = await self.engine.embed(list(req.inputs), normalize=normalize, truncate=truncate)
        out = worker_pb2.WorkerEmbedResponse()
        out.response.model = self.engine.info().model_id
        for i, vector in enumerate(result.vectors):
            out.response.embeddings.add(index=i, values=vector)
        out.response.usage.prompt_tokens = result.prompt_tokens
        return out

    async def Tokenize(
        self, request: worker_pb2.WorkerTokenizeRequest, context: Context
    ) -> worker_pb2.WorkerTokenizeResponse:
        prompt = convert.prompt_from_pb(request.request)
        assert not isinstance(prompt, TokenPrompt)  # Tokenize's oneof has no token_ids
        result = await self.engine.tokenize(prompt, return_pieces=request.request.return_pieces)
        return convert.tokenize_to_pb(result)

    async def Info(self, request: worker_pb2.InfoRequest, context: Context) -> worker_pb2.InfoResponse:
        return convert.info_to_pb(self.engine.info())

    async def Abort(self, request: worker_pb2.AbortRequest, context: Context) -> worker_pb2.AbortResponse:
        return worker_pb2.AbortResponse(aborted_request_ids=self.engine.abort(list(request.request_ids)))

    async def WatchLoad(
        self, request: worker_pb2.WatchLoadRequest, context: Context
    ) -> AsyncIterator[worker_pb2.WatchLoadResponse]:
        interval = (request.interval_ms or self._load_report_ms) / 1000
        while True:
            yield convert.load_to_pb(self.engine.load_report(), draining=self.draining)
            await asyncio.sleep(interval)
