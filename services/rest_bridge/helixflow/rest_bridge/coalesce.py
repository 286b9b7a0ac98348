"""Coalesced SSE: for an HTTP client slower than the tokens, the deltas that queued up
while a chunk was being written leave as one chunk.

``coalesce(source, interval_s)`` reads the router's (choice index, message) stream in
a task of its own; the SSE side takes everything queued at once and, until
``interval_s`` has passed since its last chunk, lets more queue (never past a
terminal message). Consecutive deltas of the same choice merge: texts concatenated,
token ids and logprobs appended, in order. A message of any other kind, or a delta
with fields other than those three (a kind the contract may add), passes unchanged
and ends the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from helixflow.v1 import common_pb2, inference_pb2

Item = tuple[int, Any]  # (choice index, GenerateResponse)
_MERGEABLE = frozenset({"text", "token_ids", "logprobs"})


def _plain_delta(message: inference_pb2.GenerateResponse) -> bool:
    if message.WhichOneof("event") != "delta" or len(message.ListFields()) != 1:
        return False
    return all(f.name in _MERGEABLE for f, _ in message.delta.ListFields())


def merge(items: list[Item]) -> list[Item]:
    """``items`` with each run of one choice's consecutive plain deltas joined."""
    out: list[Item] = []
    run: list[Item] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        elif run:
            joined = common_pb2.TokenDelta(text="".join(m.delta.text for _, m in run))
            for _, m in run:
                joined.token_ids.extend(m.delta.token_ids)
                joined.logprobs.extend(m.delta.logprobs)
            out.append((run[0][0], inference_pb2.GenerateResponse(delta=joined)))
        run.clear()

    for index, message in items:
        if not _plain_delta(message):
            flush()
            out.append((index, message))
            continue
        if run and run[0][0] != index:
            flush()
        run.append((index, message))
    flush()
    return out


async def coalesce(source: AsyncIterator[Item], interval_s: float) -> AsyncIterator[Item]:
    queue: deque[Item] = deque()
    ready = asyncio.Event()
    state: dict[str, Any] = {"ended": False, "error": None}

    def terminal() -> bool:
        return bool(state["ended"]) or (bool(queue) and queue[-1][1].WhichOneof("event") == "complete")

    async def pump() -> None:
        try:
            async for item in source:
                queue.append(item)
                ready.set()
        except Exception as exc:
            state["error"] = exc
        finally:
            state["ended"] = True
            ready.set()

    async def until_terminal() -> None:
        while not terminal():
            ready.clear()
            await ready.wait()

    task = asyncio.get_running_loop().create_task(pump())
    last = -interval_s
    try:
        while True:
            if not queue:
                if state["ended"]:
                    break
                ready.clear()
                await ready.wait()
                continue
            hold = last + interval_s - time.monotonic()
            if hold > 0 and not terminal():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(until_terminal(), hold)
            batch = list(queue)
            queue.clear()
            for item in merge(batch):
                yield item
            last = time.monotonic()
        if state["error"] is not None:
            raise state["error"]
    finally:
        if not task.done():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
