"""The retry state and Embed's split and merge, without servers: pure decisions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
import pytest

from helixflow.common.errors import DeadlineExceeded, NoWorker, WorkerLost
from helixflow.router.attempts import Retry
from helixflow.router.forwarding import merge_embed, split_embed
from helixflow.router.pool import Worker
from helixflow.router.upstream import UpstreamError
from helixflow.v1 import common_pb2, inference_pb2


def rpc_error(code: grpc.StatusCode, details: str = "gone") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


@pytest.fixture
async def workers() -> AsyncIterator[list[Worker]]:
    # Channels are lazy: nothing is dialled.
    made = [Worker(f"10.0.0.{i}:1", grpc.aio.insecure_channel(f"10.0.0.{i}:1")) for i in range(3)]
    yield made
    for w in made:
        await w.channel.close()


@pytest.fixture
def no_sleep() -> list[float]:
    """The backoffs a Retry built with ``sleep=recorder(no_sleep)`` waited, without waiting.
    (Patching asyncio.sleep itself would also stop every other task's sleep in the loop.)"""
    return []


def recorder(slept: list[float]) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return sleep


@pytest.mark.parametrize(("jitter", "factor"), [(0.0, 0.5), (0.5, 1.0), (0.999, 1.499)])
def test_backoff_doubles_per_attempt_with_jitter_around_it(jitter: float, factor: float) -> None:
    retry = Retry("Generate", limit=5, backoff_s=0.1, jitter=lambda: jitter)
    delays = []
    for _ in range(3):
        retry.attempts += 1
        delays.append(retry.delay())
    assert delays == pytest.approx([0.1 * factor, 0.2 * factor, 0.4 * factor])


async def test_retryable_failures_back_off_mark_the_worker_and_record_outcomes(
    workers: list[Worker], no_sleep: list[float]
) -> None:
    retry = Retry("Embed", limit=3, backoff_s=0.05, jitter=lambda: 0.5, sleep=recorder(no_sleep))
    a, b, c = workers
    retry.attempts = 1
    await retry.failed(a, rpc_error(grpc.StatusCode.UNAVAILABLE), sent=False)
    assert a.suspect_until > 0  # skipped for a moment: it could not even take the call
    retry.attempts = 2
    await retry.failed(b, rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED), sent=False)
    assert b.suspect_until == 0  # busy, not broken
    assert no_sleep == pytest.approx([0.05, 0.1])
    retry.attempts = 3  # the last allowed: the next failure is final, and names every try
    with pytest.raises(NoWorker) as caught:
        await retry.failed(c, rpc_error(grpc.StatusCode.UNAVAILABLE, "connection refused"), sent=False)
    assert retry.outcomes == ["10.0.0.0:1 UNAVAILABLE", "10.0.0.1:1 RESOURCE_EXHAUSTED", "10.0.0.2:1 UNAVAILABLE"]
    assert "10.0.0.1:1 RESOURCE_EXHAUSTED" in caught.value.message
    assert "connection refused" in caught.value.message
    assert len(no_sleep) == 2


async def test_nothing_is_retried_once_a_reply_went_out(workers: list[Worker], no_sleep: list[float]) -> None:
    retry = Retry("Generate", limit=3, backoff_s=0.05, sleep=recorder(no_sleep))
    retry.attempts = 1
    with pytest.raises(WorkerLost):
        await retry.failed(workers[0], rpc_error(grpc.StatusCode.UNAVAILABLE), sent=True)
    assert workers[0].suspect_until > 0
    with pytest.raises(WorkerLost):
        await retry.failed(workers[1], rpc_error(grpc.StatusCode.CANCELLED), sent=True)
    # A worker's own refusal mid-stream is passed on as it is.
    with pytest.raises(UpstreamError) as caught:
        await retry.failed(workers[2], rpc_error(grpc.StatusCode.RESOURCE_EXHAUSTED), sent=True)
    assert caught.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert no_sleep == []


async def test_final_errors_by_code(workers: list[Worker], no_sleep: list[float]) -> None:
    retry = Retry("Tokenize", limit=3, backoff_s=0.05, sleep=recorder(no_sleep))
    retry.attempts = 1
    with pytest.raises(DeadlineExceeded):
        await retry.failed(workers[0], rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED), sent=False)
    with pytest.raises(UpstreamError) as caught:
        await retry.failed(workers[0], rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "bad prompt"), sent=False)
    assert caught.value.status().details == "bad prompt"
    assert workers[0].suspect_until == 0
    assert no_sleep == []


def _embed_request(n: int) -> inference_pb2.EmbedRequest:
    return inference_pb2.EmbedRequest(model="alias", inputs=[f"t{i}" for i in range(n)], normalize=True, user="u")


@pytest.mark.parametrize(
    ("n", "workers", "split_min", "sizes"),
    [
        (20, 2, 4, [10, 10]),
        (20, 3, 4, [7, 7, 6]),
        (20, 8, 8, [10, 10]),  # chunks no smaller than split_min
        (5, 4, 32, [5]),  # too few to split
        (7, 0, 4, [7]),  # no worker counted yet: one chunk
        (0, 2, 4, [0]),  # always one request
    ],
)
def test_split_embed_keeps_order_and_flags(n: int, workers: int, split_min: int, sizes: list[int]) -> None:
    request = _embed_request(n)
    chunks = split_embed(request, "model-id", workers, split_min)
    assert [len(c.request.inputs) for c in chunks] == sizes
    assert [t for c in chunks for t in c.request.inputs] == list(request.inputs)
    for chunk in chunks:
        assert chunk.request.model == "model-id"
        assert chunk.request.normalize
        assert chunk.request.user == "u"


def test_merge_embed_shifts_indexes_and_sums_usage() -> None:
    chunks = split_embed(_embed_request(5), "m", workers=2, split_min=2)
    assert [len(c.request.inputs) for c in chunks] == [3, 2]
    replies = []
    for chunk in chunks:
        reply = inference_pb2.EmbedResponse(model="m", usage=common_pb2.Usage(prompt_tokens=10, cached_tokens=1))
        for i, text in enumerate(chunk.request.inputs):
            reply.embeddings.add(index=i, values=[float(text[1:])])
        replies.append(reply)
    merged = merge_embed(chunks, replies, "m")
    assert [(e.index, list(e.values)) for e in merged.embeddings] == [(i, [float(i)]) for i in range(5)]
    assert (merged.usage.prompt_tokens, merged.usage.cached_tokens) == (20, 2)
    assert merged.model == "m"
    assert merge_embed(chunks[:1], replies[:1], "m") is replies[0]
