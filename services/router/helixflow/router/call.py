"""One public call as the router serves it: its context, deadline and clock, and
the one way it ends (the router's own time in the trailer and its metric)."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any, NoReturn, TypeVar

import grpc

from helixflow.common.errors import DeadlineExceeded, HelixError
from helixflow.common.grpc_errors import to_rpc_status
from helixflow.common.grpc_server import PRIORITY_KEY, PRIORITY_LABELS, ROUTER_MS_KEY
from helixflow.router import metrics
from helixflow.router.upstream import RpcStatus, UpstreamError

Ctx = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")


class Call:
    """``waited`` is the time spent waiting on workers; the rest is the router's own."""

    __slots__ = ("context", "deadline", "method", "start", "target", "waited")

    def __init__(self, method: str, context: Ctx, max_request_s: float) -> None:
        self.method = method
        self.context = context
        self.start = time.perf_counter()
        self.waited = 0.0
        # The model id that answered, when it differs from the one resolved (a fallback chain).
        self.target: str | None = None
        # Absolute monotonic deadline: the client's, capped by the router-wide maximum.
        remaining = context.time_remaining()
        budget = max_request_s if remaining is None else min(remaining, max_request_s)
        self.deadline = time.monotonic() + budget

    def router_ms(self) -> float:
        return (time.perf_counter() - self.start - self.waited) * 1000.0

    def timeout(self) -> float:
        """Seconds left for the next worker call."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("the request ran out of time before a worker could answer")
        return left

    async def wait(self, reply: Awaitable[T]) -> T:
        """Await a worker, counting the time as waited."""
        t = time.perf_counter()
        try:
            return await reply
        finally:
            self.waited += time.perf_counter() - t

    async def first_reply(self, priority: int) -> None:
        """Before the first message: the router's time up to it, so the bridge's streaming
        overhead header can include it, and the priority class the call runs at."""
        label = PRIORITY_LABELS.get(priority, "normal")
        await self.context.send_initial_metadata(((ROUTER_MS_KEY, f"{self.router_ms():.3f}"), (PRIORITY_KEY, label)))

    def finish(self) -> None:
        ms = self.router_ms()
        metrics.ROUTER_MS.labels(self.method).observe(ms)
        self.context.set_trailing_metadata(((ROUTER_MS_KEY, f"{ms:.3f}"),))

    async def fail(self, err: HelixError | UpstreamError) -> NoReturn:
        """End the call with the error's status; the router's own time rides next to its details."""
        metrics.ERRORS.labels(self.method, err.code.name).inc()
        status = err.status() if isinstance(err, UpstreamError) else to_rpc_status(err)
        trailers = (*status.trailing_metadata, (ROUTER_MS_KEY, f"{self.router_ms():.3f}"))
        await self.context.abort_with_status(RpcStatus(status.code, status.details, trailers))
        raise AssertionError("abort_with_status returned")  # it always raises
