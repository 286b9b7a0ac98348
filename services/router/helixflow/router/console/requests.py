"""The request path's one hook: each finished Generate/Embed becomes a ``Finished``
record, kept in a per-replica ring (for WatchRequests) and in the usage buckets."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any

import grpc

from helixflow.common import logs
from helixflow.common.errors import HelixError
from helixflow.router.access.auth.principal import current_principal
from helixflow.router.access.pricing import Pricing
from helixflow.router.access.state import REDIS_DOWN
from helixflow.router.access.usage.buckets import BucketStore, Finished
from helixflow.router.upstream import UpstreamError
from helixflow.v1 import common_pb2, inference_pb2

log = logging.getLogger(__name__)
Context = grpc.aio.ServicerContext[Any, Any]

# Finished requests each replica remembers for WatchRequests' backlog.
HISTORY = 500


def _status(exc: BaseException | None, context: Context | None) -> str:
    if exc is None:
        return "OK"
    if isinstance(exc, HelixError | UpstreamError):
        return exc.code.name
    if isinstance(exc, asyncio.CancelledError | GeneratorExit):
        return "CANCELLED"
    code = context.code() if context is not None else None  # set by abort_with_status
    if isinstance(code, grpc.StatusCode):
        return code.name
    return "INTERNAL"


class RequestLog:
    """Recent finished requests (this replica) and their subscribers; records go to the buckets too."""

    def __init__(self, buckets: BucketStore, history: int = HISTORY, pricing: Pricing | None = None) -> None:
        self.buckets = buckets
        self._pricing = pricing or Pricing()
        self._recent: collections.deque[Finished] = collections.deque(maxlen=history)
        self._subscribers: set[asyncio.Queue[Finished]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def recent(self, n: int) -> list[Finished]:
        return list(self._recent)[-n:] if n > 0 else []

    def subscribe(self) -> asyncio.Queue[Finished]:
        queue: asyncio.Queue[Finished] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Finished]) -> None:
        self._subscribers.discard(queue)

    def add(self, item: Finished) -> None:
        self._recent.append(item)
        for queue in list(self._subscribers):
            if queue.full():
                continue  # a stalled watcher misses records; it never slows requests
            queue.put_nowait(item)
        task = asyncio.get_running_loop().create_task(self._store(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _store(self, item: Finished) -> None:
        try:
            await self.buckets.add(item)
        except REDIS_DOWN as exc:
            log.warning("usage buckets unreachable (%s); record lost", type(exc).__name__)

    def _finish(
        self, method: str, model: str, request_id: str, t0: float, first: float | None, exc: BaseException | None,
        context: Context | None, usage: common_pb2.Usage | None, priced: str,
    ) -> None:  # fmt: skip
        now = time.perf_counter()
        try:
            subject = current_principal().subject
        except HelixError:
            subject = ""
        self.add(
            Finished(
                request_id=request_id or logs.current_request_id(),
                subject=subject,
                method=method,
                model=model,
                prompt_tokens=usage.prompt_tokens if usage is not None else 0,
                completion_tokens=usage.completion_tokens if usage is not None else 0,
                status=_status(exc, context),
                latency_s=now - t0,
                ttft_s=None if first is None else first - t0,
                finished_at=time.time(),
                cost_nanos=self._pricing.cost(priced, usage),
            )
        )

    def generate_done(
        self,
        request: inference_pb2.GenerateRequest,
        model: str,
        t0: float,
        first: float | None,
        done: inference_pb2.GenerateResponse | None,
        exc: BaseException | None,
        context: Context | None = None,
        served: str | None = None,
    ) -> None:
        """One record for a Generate stream, however it ended. The servicer's loop times it
        (``t0``, the first delta at ``first``) and keeps the terminal message ``done``: no
        generator of its own around each token. A client that goes away after the terminal
        message got the whole reply. ``served`` names the model that answered when a fallback
        chain chose it (for the cost)."""
        if done is not None and isinstance(exc, asyncio.CancelledError | GeneratorExit):
            exc = None
        usage = done.complete.usage if done is not None else None
        self._finish("Generate", model, request.request_id, t0, first, exc, context, usage, served or model)
