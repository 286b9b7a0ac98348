"""Coalesced Generate streams: for a client slower than the tokens, several queued
deltas leave as one message.

``coalesce(source, interval_s)`` reads ``source`` in a task of its own, so worker
messages keep arriving while a write to the client is pending; the client side
takes everything queued at once, and waits until ``interval_s`` has passed since
its last message unless the terminal message is already queued. ``merge`` joins
runs of consecutive plain deltas into one: texts concatenated, token ids and
logprobs appended, in order. Any other message (the Complete, or an event kind
added to the contract later) is a barrier that passes through unchanged, and so
is a delta carrying fields other than text, token ids and logprobs: only what is
known to concatenate is merged.

Errors raised by ``source`` reach the client after the messages queued before them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator

from helixflow.router.wire import Reply, fields
from helixflow.v1 import common_pb2, inference_pb2

_DELTA_ONLY = [inference_pb2.GenerateResponse.DELTA_FIELD_NUMBER]
_MERGEABLE = frozenset(
    {
        common_pb2.TokenDelta.TEXT_FIELD_NUMBER,
        common_pb2.TokenDelta.TOKEN_IDS_FIELD_NUMBER,
        common_pb2.TokenDelta.LOGPROBS_FIELD_NUMBER,
    }
)


def _mergeable(data: bytes) -> inference_pb2.GenerateResponse | None:
    """The message parsed, when it is a delta with only concatenable fields."""
    if data[:1] != b"\x0a" or fields(data) != _DELTA_ONLY:
        return None
    message = inference_pb2.GenerateResponse.FromString(data)
    if not _MERGEABLE.issuperset(fields(message.delta.SerializeToString())):
        return None
    return message


def merge(replies: list[Reply]) -> list[Reply]:
    """``replies`` with each run of consecutive plain deltas joined into one message."""
    if len(replies) < 2:
        return replies
    out: list[Reply] = []
    run: list[inference_pb2.GenerateResponse] = []

    def flush() -> None:
        if len(run) == 1:
            out.append((run[0].SerializeToString(), None))
        elif run:
            joined = common_pb2.TokenDelta(text="".join(m.delta.text for m in run))
            for m in run:
                joined.token_ids.extend(m.delta.token_ids)
                joined.logprobs.extend(m.delta.logprobs)
            out.append((inference_pb2.GenerateResponse(delta=joined).SerializeToString(), None))
        run.clear()

    for item in replies:
        message = _mergeable(item[0]) if item[1] is None else None
        if message is None:
            flush()
            out.append(item)
        else:
            run.append(message)
    flush()
    return out


class _Pump:
    """Reads the source into a queue; ``ended`` once it is exhausted or failed."""

    def __init__(self, source: AsyncIterator[Reply]) -> None:
        self.queue: deque[Reply] = deque()
        self.ready = asyncio.Event()
        self.ended = False
        self.error: BaseException | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(source))

    async def _run(self, source: AsyncIterator[Reply]) -> None:
        try:
            async for item in source:
                self.queue.append(item)
                self.ready.set()
        except Exception as exc:  # handed to the client side, after what was queued
            self.error = exc
        finally:
            self.ended = True
            self.ready.set()

    def terminal_queued(self) -> bool:
        return self.ended or (bool(self.queue) and self.queue[-1][1] is not None)


async def coalesce(source: AsyncIterator[Reply], interval_s: float) -> AsyncIterator[Reply]:
    """``source``'s messages, queued deltas merged; see the module docstring."""
    pump = _Pump(source)
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
                # Let more tokens queue up, but never past the terminal message.
                pump.ready.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_until_terminal(pump), hold)
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


async def _until_terminal(pump: _Pump) -> None:
    while not pump.terminal_queued():
        pump.ready.clear()
        await pump.ready.wait()
