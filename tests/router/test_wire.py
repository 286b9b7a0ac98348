"""The router's raw Generate path: worker envelopes sliced, only the Complete parsed,
and coalesced streams that keep every token, id and logprob."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from helixflow.common.errors import WorkerLost
from helixflow.common.tls import TlsFiles
from helixflow.router import wire
from helixflow.router.coalesce import coalesce, merge
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2
from tests.router.conftest import CountingEngine, router, wait_for, worker

Pki = dict[str, TlsFiles]


def delta(text: str, ids: list[int], logprobs: list[float] | None = None) -> inference_pb2.GenerateResponse:
    d = common_pb2.TokenDelta(text=text, token_ids=ids)
    for token_id, lp in zip(ids, logprobs or [], strict=False):
        d.logprobs.add(token_id=token_id, token=text, logprob=lp)
    return inference_pb2.GenerateResponse(delta=d)


def complete(prompt: int, completion: int) -> inference_pb2.GenerateResponse:
    usage = common_pb2.Usage(prompt_tokens=prompt, completion_tokens=completion)
    return inference_pb2.GenerateResponse(
        complete=common_pb2.Complete(finish_reason=common_pb2.FINISH_REASON_LENGTH, usage=usage)
    )


def test_unwrap_slices_the_envelope_to_the_public_bytes() -> None:
    for message in (delta("x" * 300, list(range(200))), complete(3, 4), inference_pb2.GenerateResponse()):
        envelope = worker_pb2.WorkerGenerateResponse(response=message).SerializeToString()
        assert wire.unwrap(envelope) == message.SerializeToString()


def test_unwrap_parses_an_envelope_of_another_shape() -> None:
    message = delta("hi", [7])
    envelope = worker_pb2.WorkerGenerateResponse(response=message).SerializeToString()
    # A newer worker's envelope with an extra field (99, varint) after the response.
    with_more = envelope + bytes([99 << 3 & 0x7F | 0x80, 99 >> 4, 1])
    assert wire.unwrap(with_more) == message.SerializeToString()


def test_only_the_complete_is_seen_as_terminal() -> None:
    assert not wire.is_complete(delta("a", [1]).SerializeToString())
    assert wire.is_complete(complete(1, 1).SerializeToString())
    # An event the contract may add later (field 3) passes as a non-terminal message.
    unknown = bytes([3 << 3 | 2, 2]) + b"\x08\x01"
    assert not wire.is_complete(unknown)
    _, parsed = wire.reply(complete(2, 5).SerializeToString())
    assert parsed is not None
    assert parsed.complete.usage.completion_tokens == 5
    assert wire.reply(delta("a", [1]).SerializeToString())[1] is None


def test_merge_keeps_order_ids_and_logprobs_and_stops_at_barriers() -> None:
    unknown_event = (bytes([3 << 3 | 2, 2]) + b"\x08\x01", None)
    # A delta with a field merge does not know (TokenDelta field 9) is a barrier too.
    odd_delta = delta("odd", [9])
    odd_bytes = odd_delta.SerializeToString()
    inner = odd_delta.delta.SerializeToString() + bytes([9 << 3, 1])
    odd = (bytes([0x0A, len(inner)]) + inner, None)
    assert odd_bytes != odd[0]
    replies = [
        wire.of(delta("a", [1], [-0.1])),
        wire.of(delta("b", [2, 3], [-0.2, -0.3])),
        unknown_event,
        wire.of(delta("c", [4], [-0.4])),
        odd,
        wire.of(delta("d", [5], [-0.5])),
        wire.of(delta("e", [6], [-0.6])),
        wire.of(complete(3, 6)),
    ]
    merged = merge(replies)
    assert len(merged) == 6
    first = inference_pb2.GenerateResponse.FromString(merged[0][0]).delta
    assert first.text == "ab"
    assert list(first.token_ids) == [1, 2, 3]
    assert [round(lp.logprob, 3) for lp in first.logprobs] == [-0.1, -0.2, -0.3]
    assert merged[1] == unknown_event
    assert inference_pb2.GenerateResponse.FromString(merged[2][0]).delta.text == "c"
    assert merged[3] == odd
    last = inference_pb2.GenerateResponse.FromString(merged[4][0]).delta
    assert (last.text, list(last.token_ids)) == ("de", [5, 6])
    assert merged[5][1] is not None
    assert merged[5][1].complete.usage.completion_tokens == 6


async def test_coalesce_merges_what_queued_while_the_reader_was_away() -> None:
    taken, drained = asyncio.Event(), asyncio.Event()

    async def burst() -> AsyncIterator[wire.Reply]:
        yield wire.of(delta("t0 ", [0]))
        await taken.wait()
        for i in range(1, 20):
            yield wire.of(delta(f"t{i} ", [i]))
        yield wire.of(complete(1, 20))
        drained.set()

    stream = coalesce(burst(), interval_s=0.001)
    first = await anext(stream)  # the first message goes at once
    taken.set()
    await drained.wait()  # a slow reader: everything else queued meanwhile
    rest = [r async for r in stream]
    assert len(rest) == 2  # one merged delta, then the Complete
    texts = [inference_pb2.GenerateResponse.FromString(d).delta.text for d, _ in [first, rest[0]]]
    assert "".join(texts) == "".join(f"t{i} " for i in range(20))
    assert rest[1][1] is not None
    assert rest[1][1].complete.usage.completion_tokens == 20


async def test_coalesce_passes_a_failure_on_after_the_queued_tokens() -> None:
    async def failing() -> AsyncIterator[wire.Reply]:
        yield wire.of(delta("a", [1]))
        yield wire.of(delta("b", [2]))
        raise WorkerLost("gone")

    got: list[wire.Reply] = []

    async def drain() -> None:
        async for item in coalesce(failing(), interval_s=0.05):
            got.append(item)

    with pytest.raises(WorkerLost):
        await drain()
    text = "".join(inference_pb2.GenerateResponse.FromString(d).delta.text for d, _ in got)
    assert text == "ab"


async def _read(
    stub: object, request: inference_pb2.GenerateRequest, pause_s: float
) -> tuple[str, list[int], int, int]:
    text, ids, messages, completion = "", [], 0, -1
    async for reply in stub.Generate(request):  # type: ignore[attr-defined]
        messages += 1
        if reply.HasField("delta"):
            text += reply.delta.text
            ids.extend(reply.delta.token_ids)
        else:
            completion = reply.complete.usage.completion_tokens
        if pause_s:
            await asyncio.sleep(pause_s)
    return text, ids, completion, messages


async def test_a_slow_reader_gets_the_same_stream_as_a_fast_one(pki: Pki) -> None:
    request = inference_pb2.GenerateRequest(
        model="fake", prompt="hello there", sampling=common_pb2.SamplingParams(max_tokens=40)
    )
    engine = CountingEngine(token_delay_s=0.001)
    async with worker(pki, engine) as (_, addr):
        async with router(pki, [addr]) as (_, stub):  # stream_interval_ms=0: no coalescing
            fast = await _read(stub, request, 0.0)
        async with router(pki, [addr], stream_interval_ms=20) as (_, stub):
            slow = await _read(stub, request, 0.03)
    assert fast[:3] == slow[:3]
    assert fast[0] == "tok " * 40
    assert len(fast[1]) == 40
    assert fast[2] == 40
    # Merged messages carry several tokens each; never more messages than tokens + Complete.
    assert slow[3] <= 41


async def test_with_the_worker_interval_a_slow_reader_gets_what_a_fast_one_gets(pki: Pki) -> None:
    """Deltas merged at the source (the worker's stream_interval_ms) and again in the router:
    the same text, token ids and usage as one delta per token, in fewer or as many messages."""
    request = inference_pb2.GenerateRequest(
        model="fake", prompt="hello there", sampling=common_pb2.SamplingParams(max_tokens=40)
    )
    plain = worker(pki, CountingEngine(token_delay_s=0.001))
    async with plain as (_, addr), router(pki, [addr]) as (_, stub):
        fast = await _read(stub, request, 0.0)
    paced = worker(pki, CountingEngine(token_delay_s=0.001), stream_interval_ms=20)
    async with paced as (_, addr), router(pki, [addr], stream_interval_ms=20) as (_, stub):
        slow = await _read(stub, request, 0.03)
        again = await _read(stub, request, 0.0)  # a fast reader behind the worker's interval
    assert fast[3] == 41  # one message per token, then the Complete
    assert slow[:3] == fast[:3] == again[:3]
    assert fast[:3] == ("tok " * 40, [1] * 40, 40)
    assert slow[3] <= 41
    assert again[3] <= 41


async def test_a_cancel_behind_the_worker_interval_frees_the_engines_sequence(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.01)
    request = inference_pb2.GenerateRequest(
        model="fake", prompt="hello", sampling=common_pb2.SamplingParams(max_tokens=10_000)
    )
    async with worker(pki, engine, stream_interval_ms=20) as (_, addr), router(pki, [addr]) as (_, stub):
        call = stub.Generate(request)
        first = await call.read()
        assert isinstance(first, inference_pb2.GenerateResponse)
        assert first.delta.text == "tok "
        assert engine.running == 1
        call.cancel()
        await wait_for(lambda: engine.running == 0)
