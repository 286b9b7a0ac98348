"""Fallback chains end to end: a real router over mTLS, a worker process that is killed
(like a crashed pod) as the chain's first target, and a second worker as the next."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from helixflow.common import tracing
from helixflow.common.tls import TlsFiles
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc
from tests.router.conftest import CountingEngine, router, wait_for, worker

Pki = dict[str, TlsFiles]
CHAIN = {"smart": ["primary", "backup"]}


def gen(model: str = "smart", max_tokens: int = 3) -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(
        model=model, prompt="hello", sampling=common_pb2.SamplingParams(max_tokens=max_tokens)
    )


async def collect(stub: inference_pb2_grpc.InferenceAsyncStub, request: inference_pb2.GenerateRequest) -> list[Any]:
    return [r async for r in stub.Generate(request)]


async def _drain(call: Any) -> None:
    while await call.read() is not grpc.aio.EOF:
        pass


def attempts(target: str, outcome: str) -> float:
    labels = {"model": "smart", "target": target, "outcome": outcome}
    return REGISTRY.get_sample_value("helixflow_router_attempts_total", labels) or 0.0


async def test_killed_first_target_falls_through_to_the_next(pki: Pki, worker_process: Any) -> None:
    # Its first token would take 30 s: the requests wait on it, nothing streams before the kill.
    primary = worker_process(delay=30.0, model="primary")
    backup = CountingEngine("backup")
    async with (
        worker(pki, backup, model_id="backup") as (_, wb),
        router(pki, [primary.address, wb], fallbacks=CHAIN) as (rs, stub),
    ):
        models = {m.id: m for m in (await stub.ListModels(inference_pb2.ListModelsRequest())).models}
        assert list(models["smart"].fallbacks) == ["primary", "backup"]
        assert models["smart"].ready_workers == 2

        lost_before, ok_before = attempts("primary", "UNAVAILABLE"), attempts("backup", "OK")
        tasks = [asyncio.create_task(collect(stub, gen())) for _ in range(3)]
        await wait_for(lambda: rs.pool.workers[primary.address].inflight == 3)
        assert backup.started == 0  # the chain went to its first target first
        primary.kill()
        results = await asyncio.gather(*tasks)
        assert all(r[-1].complete.usage.completion_tokens == 3 for r in results)
        assert backup.started == 3
        # And once the first target is gone for good, new calls go straight on.
        fresh = await collect(stub, gen())
        assert fresh[-1].HasField("complete")
        assert backup.started == 4
        assert attempts("primary", "UNAVAILABLE") - lost_before == 4
        assert attempts("backup", "OK") - ok_before == 4


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.use_provider(provider)
    yield memory
    tracing.use_provider(None)
    provider.shutdown()


async def test_first_target_silent_past_first_token_limit_falls_through(
    pki: Pki, exporter: InMemorySpanExporter
) -> None:
    slow, backup = CountingEngine("primary", token_delay_s=30.0), CountingEngine("backup")
    async with (
        worker(pki, slow, model_id="primary") as (_, wa),
        worker(pki, backup, model_id="backup") as (_, wb),
        router(pki, [wa, wb], fallbacks=CHAIN, fallback_first_token_s=0.3) as (_, stub),
    ):
        replies = await collect(stub, gen())
        assert replies[-1].complete.usage.completion_tokens == 3
        assert (slow.started, backup.started) == (1, 1)
        await wait_for(lambda: slow.running == 0)  # the abandoned attempt was cancelled on the worker
    spans = exporter.get_finished_spans()
    (served,) = [s for s in spans if s.name == "router.Generate"]
    events = [(e.attributes or {}) for e in served.events if e.name == "helixflow.fallback"]
    assert [(e["helixflow.target"], e["helixflow.outcome"]) for e in events] == [
        ("primary", "DEADLINE_EXCEEDED"),
        ("backup", "OK"),
    ]
    targets = [(s.attributes or {}).get("helixflow.target") for s in spans if s.name == "router.attempt"]
    assert targets == ["primary", "backup"]


async def test_failure_after_the_first_token_is_an_explicit_error(pki: Pki, worker_process: Any) -> None:
    primary = worker_process(delay=0.05, model="primary")
    backup = CountingEngine("backup")
    async with (
        worker(pki, backup, model_id="backup") as (_, wb),
        router(pki, [primary.address, wb], fallbacks=CHAIN) as (_, stub),
    ):
        call = stub.Generate(gen(max_tokens=1000))
        first = await call.read()
        assert isinstance(first, inference_pb2.GenerateResponse)
        assert first.HasField("delta")
        primary.kill()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _drain(call)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert backup.started == 0  # no silent restart on the next target
