"""The console's admin RPCs on a real router with fake-engine workers: WatchWorkers,
WatchRequests and time-bucketed GetUsage; the bucket stores in memory and in Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import grpc
import pytest
import redis.asyncio as aioredis
from google.protobuf import duration_pb2, timestamp_pb2

from helixflow.common.tls import TlsFiles
from helixflow.router.access.usage.buckets import STEP_S, BucketStore, Finished, MemoryBuckets, RedisBuckets, merge
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2
from helixflow.worker.engine import LoadReport
from tests.router.auth.redis_proc import RedisProcess
from tests.router.conftest import CountingEngine, router, worker

Pki = dict[str, TlsFiles]


def gen(max_tokens: int) -> inference_pb2.GenerateRequest:
    request = inference_pb2.GenerateRequest(model="fake", prompt="a secret prompt")
    request.sampling.max_tokens = max_tokens
    return request


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(seconds))
    return ts


async def test_watch_workers_follows_a_stream_up_and_down(pki: Pki) -> None:
    engine = CountingEngine(token_delay_s=0.05)
    async with worker(pki, engine) as (_, addr), router(pki, [addr]) as (server, stub):
        admin = admin_pb2_grpc.AdminStub(grpc.aio.insecure_channel(f"127.0.0.1:{server.port}"))
        watch = admin.WatchWorkers(admin_pb2.WatchWorkersRequest(interval_ms=50))
        first = await watch.read()
        assert isinstance(first, admin_pb2.WatchWorkersResponse)
        assert [(w.address, w.model_id, w.routable, w.router_inflight) for w in first.workers] == [
            (addr, "fake", True, 0)
        ]
        assert first.workers[0].preemptions == 0  # the fake engine never preempts
        call = stub.Generate(gen(max_tokens=60))

        async def until(busy: bool) -> None:
            while True:
                snapshot = await watch.read()
                assert isinstance(snapshot, admin_pb2.WatchWorkersResponse)
                w = snapshot.workers[0]
                if (w.router_inflight == 1 and w.running >= 1) if busy else (w.router_inflight == w.running == 0):
                    return

        await asyncio.wait_for(until(busy=True), 20)  # up while the stream runs
        replies = [r async for r in call]
        assert replies[-1].HasField("complete")
        await asyncio.wait_for(until(busy=False), 20)  # and back down after it
        watch.cancel()


class PreemptingEngine(CountingEngine):
    """Reports the preemptions a llama.cpp worker would have counted."""

    def load_report(self) -> LoadReport:
        return dataclasses.replace(super().load_report(), preemptions=7)


async def test_watch_workers_shows_the_workers_preemptions(pki: Pki) -> None:
    async with worker(pki, PreemptingEngine()) as (_, addr), router(pki, [addr]) as (server, _):
        admin = admin_pb2_grpc.AdminStub(grpc.aio.insecure_channel(f"127.0.0.1:{server.port}"))
        watch = admin.WatchWorkers(admin_pb2.WatchWorkersRequest(interval_ms=50))
        seen = []
        while 7 not in seen:  # the first snapshots may predate the worker's first load report
            snapshot = await asyncio.wait_for(watch.read(), 20)
            assert isinstance(snapshot, admin_pb2.WatchWorkersResponse)
            seen.append(snapshot.workers[0].preemptions)
        watch.cancel()
    assert set(seen) <= {0, 7}


async def test_watch_requests_and_bucketed_usage(pki: Pki) -> None:
    async with worker(pki, CountingEngine(token_delay_s=0.02)) as (_, addr), router(pki, [addr]) as (server, stub):
        admin = admin_pb2_grpc.AdminStub(grpc.aio.insecure_channel(f"127.0.0.1:{server.port}"))
        replies = [r async for r in stub.Generate(gen(max_tokens=3))]
        assert replies[-1].complete.usage.completion_tokens == 3
        watch = admin.WatchRequests(admin_pb2.WatchRequestsRequest(backlog=10))
        backlog = await watch.read()
        assert isinstance(backlog, admin_pb2.WatchRequestsResponse)
        record = backlog.request
        assert (record.method, record.model, record.status, record.completion_tokens) == ("Generate", "fake", "OK", 3)
        assert record.key_id == "anonymous"
        assert record.request_id
        assert record.HasField("time_to_first_token")
        assert record.latency.ToNanoseconds() > 0
        assert "secret prompt" not in str(record)
        # A call the client cancels mid-stream arrives live, as CANCELLED.
        call = stub.Generate(gen(max_tokens=500))
        await call.read()
        call.cancel()
        live = await asyncio.wait_for(watch.read(), 20)
        assert isinstance(live, admin_pb2.WatchRequestsResponse)
        assert live.request.status == "CANCELLED"
        # A worker's error keeps its status code.
        refused = gen(max_tokens=3)
        refused.sampling.structured_output.regex = "a+"  # the fake engine refuses constraints
        with pytest.raises(grpc.aio.AioRpcError):
            [r async for r in stub.Generate(refused)]
        failed = await asyncio.wait_for(watch.read(), 20)
        assert isinstance(failed, admin_pb2.WatchRequestsResponse)
        assert failed.request.status == "INVALID_ARGUMENT"
        watch.cancel()

        now = time.time()
        query = admin_pb2.GetUsageRequest(
            start_time=_ts(now - 600), end_time=_ts(now + 60), step=duration_pb2.Duration(seconds=600), model="fake"
        )

        async def both_recorded() -> admin_pb2.GetUsageResponse:
            while True:  # buckets are written in the background, just after each request ends
                reply = await admin.GetUsage(query)
                if sum(b.requests for b in reply.buckets) == 3:
                    return reply
                await asyncio.sleep(0.05)

        usage = await asyncio.wait_for(both_recorded(), 20)
        assert {(b.key_id, b.model) for b in usage.buckets} == {("anonymous", "fake")}
        assert sum(b.errors.get("CANCELLED", 0) for b in usage.buckets) == 1
        assert sum(b.errors.get("INVALID_ARGUMENT", 0) for b in usage.buckets) == 1
        assert sum(b.ttft_count for b in usage.buckets) == 2  # the refused call had no first token
        assert sum(b.completion_tokens for b in usage.buckets) >= 3
        other = await admin.GetUsage(admin_pb2.GetUsageRequest(start_time=_ts(now - 600), model="other-model"))
        assert list(other.buckets) == []
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await admin.GetUsage(admin_pb2.GetUsageRequest(start_time=_ts(now), end_time=_ts(now - 10)))
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _finished(at: float, subject: str, status: str = "OK", ttft: float | None = 0.25) -> Finished:
    return Finished("r", subject, "Generate", "m", 5, 7, status, 1.0, ttft, at)


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_bucket_stores_agree(kind: str) -> None:
    proc = RedisProcess() if kind == "redis" else None
    client = aioredis.from_url(proc.url) if proc is not None else None
    try:
        store: BucketStore = RedisBuckets(client) if client is not None else MemoryBuckets()
        t0 = (int(time.time()) // 600) * 600
        await store.add(_finished(t0 + 1, "key_a"))
        await store.add(_finished(t0 + STEP_S + 1, "key_a", status="RESOURCE_EXHAUSTED", ttft=None))
        await store.add(_finished(t0 + 2, "key_b"))
        raw = await store.read(t0, t0 + 600)
        merged = merge(raw, t0, 600)
        by_key = {b.subject: b for b in merged}
        a = by_key["key_a"]
        assert (a.start, a.requests, a.prompt_tokens, a.completion_tokens) == (t0, 2, 10, 14)
        assert a.errors == {"RESOURCE_EXHAUSTED": 1}
        assert (a.ttft_count, a.ttft_ms_sum) == (1, 250.0)
        assert by_key["key_b"].requests == 1
        # Fine steps keep the two recording buckets apart.
        assert [b.requests for b in merge(raw, t0, STEP_S) if b.subject == "key_a"] == [1, 1]
        assert await store.read(t0 + 600, t0 + 1200) == []
    finally:
        if client is not None:
            await client.aclose()
        if proc is not None:
            proc.kill()
