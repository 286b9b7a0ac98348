"""Coalesced streams: one mechanism for the worker, the router and the bridge.

``coalesce(source, interval_s, merge, terminal)`` reads ``source`` in a task of its
own, so messages keep arriving while the consumer (a gRPC write, an HTTP chunk) is
busy. The consumer side takes everything queued at once. The first message goes at
once; after each message, more are left to queue until ``interval_s`` has passed,
unless a terminal message is already queued (the end never waits). ``merge`` turns
each batch into what is sent: typically ``merge_runs``, which joins runs of
consecutive mergeable items (texts concatenated, token ids and logprobs appended,
in order) and passes anything else through unchanged as a barrier.

Errors raised by ``source`` reach the consumer after the messages queued before
them. Closing the coalesced stream (a cancelled call) cancels the reading task and
closes ``source``.

Each user supplies only what its items are: the worker merges engine ``Delta``
objects, the router serialized ``GenerateResponse`` bytes, the bridge (choice,
message) pairs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from typing import Generic, TypeVar

from helixflow.v1 import common_pb2

T = TypeVar("T")


def merge_runs(items: list[T], key: Callable[[T], Hashable | None], join: Callable[[list[T]], T]) -> list[T]:
    """``items`` with each run of consecutive items of one non-None ``key`` replaced by
    ``join(run)``; an item whose key is None passes unchanged and ends the run."""
    if len(items) < 2:
        return items
    out: list[T] = []
    run: list[T] = []
    run_key: Hashable | None = None
    for item in items:
        k = key(item)
        if run and k != run_key:
            out.append(run[0] if len(run) == 1 else join(run))
            run = []
        if k is None:
            out.append(item)
        else:
            run.append(item)
            run_key = k
    if run:
        out.append(run[0] if len(run) == 1 else join(run))
    return out


class _Pump(Generic[T]):
    """Reads the source into a queue; ``ended`` once it is exhausted or failed."""

    def __init__(self, source: AsyncIterator[T], terminal: Callable[[T], bool]) -> None:
        self.queue: deque[T] = deque()
        self.ready = asyncio.Event()
        self.ended = False
        self.error: BaseException | None = None
        self._terminal = terminal
        self.task = asyncio.get_running_loop().create_task(self._run(source))

    async def _run(self, source: AsyncIterator[T]) -> None:
        try:
            async for item in source:
                self.queue.append(item)
                self.ready.set()
        except (Exception, asyncio.CancelledError) as exc:
            # Handed to the consumer, after what was queued. A cancel of this task (the
            # consumer went away) ends it here too, with no one left to hand it to.
            self.error = exc
        finally:
            self.ended = True
            self.ready.set()
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()

    def terminal_queued(self) -> bool:
        return self.ended or (bool(self.queue) and self._terminal(self.queue[-1]))

    async def until_terminal(self) -> None:
        while not self.terminal_queued():
            self.ready.clear()
            await self.ready.wait()


async def coalesce(
    source: AsyncIterator[T],
    interval_s: float,
    merge: Callable[[list[T]], list[T]],
    terminal: Callable[[T], bool],
) -> AsyncGenerator[T, None]:
    """``source``'s items, batches queued within ``interval_s`` passed through ``merge``;
    see the module docstring."""
    pump = _Pump(source, terminal)
    last = -interval_s
    try:
        while True:
            if not pump.queue:
                if pump.ended:
                    break
                pump.ready.clear()
                await pump.ready.wait()
                continue
            hold = last + interval_s - time.monotonic()
            if hold > 0 and not pump.terminal_queued():
                # Let more queue up, but never past the terminal message. asyncio.timeout,
                # not wait_for: no task per batch.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(hold):
                        await pump.until_terminal()
            batch = list(pump.queue)
            pump.queue.clear()
            for item in merge(batch):
                yield item
            last = time.monotonic()
        if pump.error is not None:
            raise pump.error
    finally:
        if not pump.task.done():
            pump.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump.task


def join_token_deltas(deltas: list[common_pb2.TokenDelta]) -> common_pb2.TokenDelta:
    """One ``TokenDelta`` holding ``deltas`` in order: texts concatenated, token ids and
    logprobs appended (the router's and the bridge's ``join``)."""
    joined = common_pb2.TokenDelta(text="".join(d.text for d in deltas))
    for d in deltas:
        joined.token_ids.extend(d.token_ids)
        joined.logprobs.extend(d.logprobs)
    return joined
