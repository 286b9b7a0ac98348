"""The worker's stream interval: deltas merged at the source keep order, token ids and
logprobs; tool-call deltas and the terminal event pass unchanged; the first goes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from helixflow.worker.engine import (
    Delta,
    Event,
    Finished,
    FinishReason,
    Timings,
    TokenLogprob,
    ToolCallDelta,
    Usage,
)
from helixflow.worker.stream_interval import paced


def token(i: int, logprobs: bool = True) -> Delta:
    lp = [TokenLogprob(token_id=i, token=f"t{i}", logprob=-i / 10, bytes=b"", top=[])] if logprobs else None
    return Delta(text=f"t{i} ", token_ids=[i], logprobs=lp)


def finished(n: int) -> Finished:
    return Finished(FinishReason.LENGTH, Usage(prompt_tokens=2, completion_tokens=n), Timings(0.0, 0.0, 0.0))


def flatten(events: list[Event]) -> tuple[str, list[int], list[float], list[object]]:
    text = ""
    ids: list[int] = []
    lps: list[float] = []
    others: list[object] = []
    for e in events:
        if isinstance(e, Delta):
            text += e.text
            ids.extend(e.token_ids)
            lps.extend(round(lp.logprob, 3) for lp in e.logprobs or [])
            others.extend(e.tool_calls)
        else:
            others.append(e)
    return text, ids, lps, others


async def test_queued_deltas_merge_and_barriers_pass_unchanged() -> None:
    taken, drained = asyncio.Event(), asyncio.Event()
    call = ToolCallDelta(index=0, id="c1", name="f", arguments="{}")
    sent: list[Event] = [token(0)]
    sent += [token(i) for i in range(1, 6)] + [Delta(text="", token_ids=[9], tool_calls=[call])]
    sent += [token(i) for i in range(6, 10)] + [finished(11)]

    async def engine() -> AsyncGenerator[Event, None]:
        yield sent[0]
        await taken.wait()
        for event in sent[1:]:
            yield event
        drained.set()

    stream = paced(engine(), interval_s=0.001)
    first = await anext(stream)  # the first delta goes at once
    assert first is sent[0]
    taken.set()
    await drained.wait()  # a slow consumer: everything else queued meanwhile
    rest = [e async for e in stream]
    # t1..t5 merged, the tool-call delta alone, t6..t9 merged, the Finished alone.
    assert [type(e) for e in rest] == [Delta, Delta, Delta, Finished]
    assert isinstance(rest[0], Delta)
    assert rest[0].text == "t1 t2 t3 t4 t5 "
    assert isinstance(rest[1], Delta)
    assert rest[1].tool_calls == [call]
    assert rest[3] is sent[-1]
    assert flatten([first, *rest]) == flatten(sent)


async def test_no_logprobs_stay_none_and_zero_is_off() -> None:
    events: list[Event] = [token(i, logprobs=False) for i in range(4)] + [finished(4)]

    async def engine() -> AsyncGenerator[Event, None]:
        for event in events:
            yield event

    source = engine()
    assert paced(source, 0.0) is source  # off: the engine's own stream
    merged = [e async for e in paced(engine(), interval_s=0.05)]
    assert flatten(merged) == flatten(events)
    assert all(e.logprobs is None for e in merged if isinstance(e, Delta))


async def test_an_engine_failure_arrives_after_the_queued_tokens() -> None:
    async def engine() -> AsyncGenerator[Event, None]:
        yield token(1)
        yield token(2)
        raise RuntimeError("engine died")

    got: list[Event] = []

    async def drain() -> None:
        async for event in paced(engine(), interval_s=0.05):
            got.append(event)

    with pytest.raises(RuntimeError, match="engine died"):
        await drain()
    assert flatten(got)[1] == [1, 2]
