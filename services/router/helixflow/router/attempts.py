"""The attempts of one call on the workers, and when to try another worker.

``Retry`` is the state of one call: the attempts made, the workers tried and how
each attempt failed. ``Attempt`` is one try on one worker, used as
``async with Attempt(...)``: entering picks the worker (one not tried yet where
there is one), counts it in flight and opens a trace span; leaving ends the span,
releases the worker and cancels the worker call (a no-op once it finished; it frees
the worker's slot when the client went away). A gRPC failure that leaves the block
is decided there: before anything reached the client, a worker that could not take
the call (UNAVAILABLE, RESOURCE_EXHAUSTED) is skipped, the retry backs off with
jitter and the block's exception is swallowed so the caller's loop tries again;
any other failure becomes the error the client gets.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from types import TracebackType

import grpc
from opentelemetry import trace

from helixflow.common import logs, tracing
from helixflow.common.errors import DeadlineExceeded, HelixError, NoWorker, WorkerLost
from helixflow.router import metrics
from helixflow.router.call import Call
from helixflow.router.pool import Worker
from helixflow.router.routing import Router
from helixflow.router.upstream import LOST, RETRYABLE, UpstreamError

log = logging.getLogger(__name__)


class Retry:
    """How far one call got. ``jitter`` returns a number in [0, 1) and ``sleep`` waits out
    the backoff (tests pass their own of both)."""

    __slots__ = ("_jitter", "_sleep", "attempts", "backoff_s", "limit", "method", "outcomes", "tried")

    def __init__(
        self,
        method: str,
        limit: int,
        backoff_s: float,
        jitter: Callable[[], float] = random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.method = method
        self.limit = limit
        self.backoff_s = backoff_s
        self._jitter = jitter
        self._sleep = sleep
        self.attempts = 0
        self.tried: set[str] = set()
        self.outcomes: list[str] = []  # "address CODE" for each failed attempt, in order

    def delay(self) -> float:
        """Exponential in the attempts made, times a factor in [0.5, 1.5): calls that
        failed together do not all come back at the same moment."""
        return float(self.backoff_s * 2 ** (self.attempts - 1) * (0.5 + self._jitter()))

    def may_retry(self, code: grpc.StatusCode, sent: bool) -> bool:
        """Another worker may take the call: nothing reached the client, the worker could
        not take it, and attempts are left."""
        return not sent and code in RETRYABLE and self.attempts < self.limit

    async def failed(self, worker: Worker, err: grpc.aio.AioRpcError, sent: bool) -> None:
        """Record how an attempt failed, then back off when the call may go elsewhere;
        otherwise raise the error the client gets."""
        code = err.code()
        self.outcomes.append(f"{worker.address} {code.name}")
        if self.may_retry(code, sent):
            log.info("%s on %s failed with %s; retrying elsewhere", self.method, worker.address, code.name)
            metrics.RETRIES.labels(self.method, code.name).inc()
            if code == grpc.StatusCode.UNAVAILABLE:
                worker.mark_failed()
            await self._sleep(self.delay())
            return
        raise self._final(worker, err, sent) from None

    def _final(self, worker: Worker, err: grpc.aio.AioRpcError, sent: bool) -> HelixError | UpstreamError:
        code = err.code()
        if sent and code in LOST:
            worker.mark_failed()
            return WorkerLost(
                f"worker {worker.address} was lost mid-stream ({code.name}: {err.details()}); the reply is incomplete"
            )
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return DeadlineExceeded("deadline exceeded (the client's deadline or the router's max_request_s)")
        if code == grpc.StatusCode.UNAVAILABLE:
            return NoWorker(
                f"no worker could take the request (tried: {', '.join(self.outcomes)}); "
                f"last: {worker.address}: {err.details()}"
            )
        return UpstreamError(err)


class Attempt:
    """One try of a call on one worker; see the module docstring."""

    __slots__ = ("_call", "_key", "_model", "_router", "metadata", "retry", "rpc", "sent", "span", "timeout", "worker")

    worker: Worker  # set on entry
    metadata: tuple[tuple[str, str], ...]  # request id and trace parent, for the worker call
    timeout: float  # seconds the worker call may take

    def __init__(self, router: Router, retry: Retry, call: Call, model: str, key: int | None = None) -> None:
        self._router = router
        self._call = call
        self._model = model
        self._key = key
        self.retry = retry
        self.rpc: grpc.aio.Call | None = None  # the worker call, cancelled on the way out
        self.sent = False  # set once a reply went to the client: no retry after that
        self.span: trace.Span | None = None

    async def __aenter__(self) -> Attempt:
        retry = self.retry
        self.worker = worker = self._router.pick(self._model, self._key, retry.tried)
        retry.tried.add(worker.address)
        retry.attempts += 1
        self.timeout = self._call.timeout()  # raises when the deadline is spent: before a span opens
        # One child span per attempt, so retries show in the trace (None when tracing is off).
        self.span = tracing.start_span(
            "router.attempt",
            kind=tracing.CLIENT,
            attributes={
                "helixflow.worker": worker.address,
                "helixflow.attempt": retry.attempts,
                "helixflow.target": self._model,
            },
        )
        self.metadata = logs.outgoing_metadata() + tracing.inject_span(self.span)
        worker.acquire()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        # Client cancels and generator exits are no failure of the attempt.
        tracing.end_span(self.span, exc if isinstance(exc, Exception) else None)
        self.worker.release()
        if self.rpc is not None:
            self.rpc.cancel()
        if not isinstance(exc, grpc.aio.AioRpcError):
            return False
        await self.retry.failed(self.worker, exc, self.sent)
        return True
