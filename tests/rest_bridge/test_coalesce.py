"""The bridge's coalesced SSE source: a slow reader gets the same tokens, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from helixflow.rest_bridge.coalesce import coalesce, merge
from helixflow.v1 import common_pb2, inference_pb2


def delta(text: str, token_id: int) -> inference_pb2.GenerateResponse:
    d = common_pb2.TokenDelta(text=text, token_ids=[token_id])
    d.logprobs.add(token_id=token_id, token=text, logprob=-token_id / 10)
    return inference_pb2.GenerateResponse(delta=d)


def done(tokens: int) -> inference_pb2.GenerateResponse:
    usage = common_pb2.Usage(prompt_tokens=3, completion_tokens=tokens)
    return inference_pb2.GenerateResponse(complete=common_pb2.Complete(usage=usage))


def flatten(
    items: list[tuple[int, Any]],
) -> tuple[dict[int, str], dict[int, list[int]], dict[int, list[float]], list[int]]:
    text: dict[int, str] = {}
    ids: dict[int, list[int]] = {}
    lps: dict[int, list[float]] = {}
    usage = []
    for index, m in items:
        if m.HasField("delta"):
            text[index] = text.get(index, "") + m.delta.text
            ids.setdefault(index, []).extend(m.delta.token_ids)
            lps.setdefault(index, []).extend(round(lp.logprob, 3) for lp in m.delta.logprobs)
        else:
            usage.append(m.complete.usage.completion_tokens)
    return text, ids, lps, usage


def test_merge_joins_one_choice_at_a_time() -> None:
    items = [(0, delta("a", 1)), (0, delta("b", 2)), (1, delta("x", 3)), (0, delta("c", 4)), (0, done(3))]
    merged = merge(items)
    assert len(merged) == 4
    assert merged[0][1].delta.text == "ab"
    assert list(merged[0][1].delta.token_ids) == [1, 2]
    assert flatten(merged) == flatten(items)


async def test_a_slow_reader_gets_what_a_fast_one_gets() -> None:
    items = [(0, delta(f"t{i} ", i)) for i in range(1, 30)] + [(0, done(29))]

    async def source() -> AsyncIterator[tuple[int, Any]]:
        for item in items:
            await asyncio.sleep(0)
            yield item

    slow = []
    async for item in coalesce(source(), interval_s=0.01):
        slow.append(item)
        await asyncio.sleep(0.005)
    assert flatten(slow) == flatten(items)
    assert len(slow) <= len(items)
    assert slow[-1][1].HasField("complete")
