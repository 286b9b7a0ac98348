"""The Worker service with a catalog, over gRPC: per-model state in Info and WatchLoad,
readiness once the pinned model loaded, requests routed by model name, NOT_FOUND for a
name the catalog lacks, and the LoadModel / UnloadModel / PinModel RPCs. The fake engine
stands in for the model here (the real one is in test_host.py and the router test)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.v1 import inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.server import SERVICE_NAME, WorkerServer, create_server
from tests.worker.catalog.conftest import entry, worker_settings


@pytest_asyncio.fixture
async def worker() -> AsyncIterator[tuple[WorkerServer, worker_pb2_grpc.WorkerAsyncStub, grpc.aio.Channel]]:
    settings = worker_settings(entry("pinned", pinned=True), entry("cold", aliases=["c"]), max_loaded_models=2)
    settings = settings.model_copy(update={"backend": "fake"})
    server, port = create_server(settings)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    stub: worker_pb2_grpc.WorkerAsyncStub = worker_pb2_grpc.WorkerStub(channel)
    yield server, stub, channel
    await channel.close()
    await server.stop(0)


def states(models: object) -> dict[str, str]:
    return {m.id: worker_pb2.ModelState.Name(m.state) for m in models}  # type: ignore[attr-defined]


async def generate(stub: worker_pb2_grpc.WorkerAsyncStub, model: str) -> list[worker_pb2.WorkerGenerateResponse]:
    request = worker_pb2.WorkerGenerateRequest(
        request=inference_pb2.GenerateRequest(model=model, prompt="hi", request_id=f"t-{model}")
    )
    request.request.sampling.max_tokens = 2
    return [r async for r in stub.Generate(request)]


async def test_catalog_states_in_info_and_watchload_and_the_model_rpcs(worker) -> None:  # type: ignore[no-untyped-def]
    server, stub, channel = worker
    health = health_pb2_grpc.HealthStub(channel)
    ready = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE_NAME))
    assert ready.status == health_pb2.HealthCheckResponse.SERVING  # the pinned model is loaded
    info = await stub.Info(worker_pb2.InfoRequest())
    assert states(info.catalog) == {"pinned": "MODEL_STATE_LOADED", "cold": "MODEL_STATE_AVAILABLE"}
    assert info.max_loaded_models == 2
    assert [m.aliases for m in info.catalog if m.id == "cold"] == [["c"]]

    replies = await generate(stub, "c")  # by alias: loads on first use
    assert replies[-1].response.HasField("complete")
    report = await anext(aiter(stub.WatchLoad(worker_pb2.WatchLoadRequest(interval_ms=50))))
    assert states(report.models) == {"pinned": "MODEL_STATE_LOADED", "cold": "MODEL_STATE_LOADED"}

    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await generate(stub, "absent")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assert "cold" in (missing.value.details() or "")

    unloaded = await stub.UnloadModel(worker_pb2.UnloadModelRequest(model="cold"))
    assert unloaded.model.state == worker_pb2.MODEL_STATE_AVAILABLE
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.UnloadModel(worker_pb2.UnloadModelRequest(model="pinned"))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    pinned = await stub.PinModel(worker_pb2.PinModelRequest(model="cold", pinned=True))
    assert (pinned.model.pinned, pinned.model.state) == (True, worker_pb2.MODEL_STATE_LOADED)
    loaded = await stub.LoadModel(worker_pb2.LoadModelRequest(model="pinned"))
    assert loaded.model.state == worker_pb2.MODEL_STATE_LOADED
    sample = server.metrics.registry.get_sample_value(
        "helixflow_worker_model_unloads_total", {"model": "cold", "reason": "admin"}
    )
    assert sample == 1
