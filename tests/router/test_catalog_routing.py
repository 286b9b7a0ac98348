"""Routing with model catalogs, on two real llama.cpp workers that both catalogue the
packaged model under two ids: the router sends a model to the worker where it is warm,
a burst for a cold model to one worker only, and ListModels and the Admin catalog RPCs
show (and change) the states."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import grpc
import pytest

from helixflow.common.tls import TlsFiles
from helixflow.router.server import RouterServer
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2, inference_pb2_grpc, worker_pb2
from helixflow.worker.server import WorkerServer
from helixflow.worker.server import create_server as create_worker
from tests.conftest import tls_settings
from tests.router.conftest import router, wait_for
from tests.router.test_cli import run_cli
from tests.worker.catalog.conftest import entry, worker_settings

pytestmark = pytest.mark.slow


@asynccontextmanager
async def catalog_worker(pki: dict[str, TlsFiles], *, pinned_a: bool) -> AsyncIterator[tuple[WorkerServer, str]]:
    settings = worker_settings(entry("gemma-a", pinned=pinned_a), entry("gemma-b"), max_loaded_models=2)
    settings = settings.model_copy(update={"tls": tls_settings(pki["worker"]), "load_report_ms": 50})
    server, port = create_worker(settings)
    await server.start()
    try:
        yield server, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def generate(stub: inference_pb2_grpc.InferenceAsyncStub, model: str) -> inference_pb2.GenerateResponse:
    request = inference_pb2.GenerateRequest(model=model, prompt="The capital of France is")
    request.sampling.max_tokens = 3
    request.sampling.temperature = 0.0
    last = None
    async for reply in stub.Generate(request):
        last = reply
    assert last is not None
    assert last.HasField("complete")
    return last


def state(server: WorkerServer, model: str) -> str:
    return server.host.slots[model].state.value


def card(cards: inference_pb2.ListModelsResponse, model: str) -> inference_pb2.ModelCard:
    return next(c for c in cards.models if c.id == model)


async def test_warm_routing_cold_bursts_list_models_and_admin(pki: dict[str, TlsFiles]) -> None:
    async with AsyncExitStack() as stack:
        warm, warm_addr = await stack.enter_async_context(catalog_worker(pki, pinned_a=True))
        cold, cold_addr = await stack.enter_async_context(catalog_worker(pki, pinned_a=False))
        server, stub = await stack.enter_async_context(router(pki, [warm_addr, cold_addr]))
        assert isinstance(server, RouterServer)
        channel = await stack.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{server.port}"))
        admin = admin_pb2_grpc.AdminStub(channel)
        assert (state(warm, "gemma-a"), state(cold, "gemma-a")) == ("loaded", "available")

        cards = await stub.ListModels(inference_pb2.ListModelsRequest())
        a = card(cards, "gemma-a")
        assert (a.loaded_workers, a.loadable_workers, a.ready_workers) == (1, 1, 2)
        b = card(cards, "gemma-b")
        assert (b.loaded_workers, b.loadable_workers) == (0, 2)

        # Warm: every request for gemma-a goes where it is loaded; the other worker never loads it.
        for _ in range(4):
            await generate(stub, "gemma-a")
        pool = server.pool.workers
        assert (pool[warm_addr].served, pool[cold_addr].served) == (4, 0)
        assert state(cold, "gemma-a") == "available"

        # Cold burst: three concurrent requests for gemma-b share one load on one worker.
        await asyncio.gather(*(generate(stub, "gemma-b") for _ in range(3)))
        states = sorted([state(warm, "gemma-b"), state(cold, "gemma-b")])
        assert states == ["available", "loaded"]
        loads = [
            w.metrics.registry.get_sample_value(
                "helixflow_worker_model_loads_total", {"model": "gemma-b", "outcome": "loaded"}
            )
            for w in (warm, cold)
        ]
        assert sorted(v or 0.0 for v in loads) == [0.0, 1.0]
        # ... and it now counts as warm there.
        await wait_for(lambda: card_count(server, "gemma-b") == 1)

        # Admin: the catalog with states per worker, then load and unload.
        listed = await admin.ListCatalog(admin_pb2.ListCatalogRequest())
        by_addr = {w.address: {m.id: m for m in w.models} for w in listed.workers}
        assert by_addr[warm_addr]["gemma-a"].state == worker_pb2.MODEL_STATE_LOADED
        assert by_addr[warm_addr]["gemma-a"].pinned
        assert by_addr[cold_addr]["gemma-a"].state == worker_pb2.MODEL_STATE_AVAILABLE
        assert by_addr[cold_addr]["gemma-a"].estimated_bytes > 0

        loaded = await admin.LoadCatalogModel(admin_pb2.LoadCatalogModelRequest(model="gemma-a", worker=cold_addr))
        assert loaded.result.model.state == worker_pb2.MODEL_STATE_LOADED
        assert state(cold, "gemma-a") == "loaded"
        unloaded = await admin.UnloadCatalogModel(admin_pb2.UnloadCatalogModelRequest(model="gemma-b"))
        assert [r.model.state for r in unloaded.results] == [worker_pb2.MODEL_STATE_AVAILABLE]
        assert (state(warm, "gemma-b"), state(cold, "gemma-b")) == ("available", "available")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await admin.UnloadCatalogModel(admin_pb2.UnloadCatalogModelRequest(model="gemma-a", worker=warm_addr))
        assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "pinned" in (refused.value.details() or "")
        pinned = await admin.PinCatalogModel(admin_pb2.PinCatalogModelRequest(model="gemma-a", pinned=False))
        assert [r.model.pinned for r in pinned.results] == [False, False]
        await admin.UnloadCatalogModel(admin_pb2.UnloadCatalogModelRequest(model="gemma-a", worker=warm_addr))
        assert state(warm, "gemma-a") == "available"
        await wait_for(lambda: card_count(server, "gemma-a") == 1)  # only the cold worker has it now

        # The CLI: `models` lists the counts, `models load` / `unload` go through the Admin RPCs.
        target = f"127.0.0.1:{server.port}"
        code, out = await run_cli("models", "--router", target, "load", "gemma-b", "--worker", warm_addr)
        assert code == 0, out
        assert "loaded" in out
        assert state(warm, "gemma-b") == "loaded"
        await wait_for(lambda: card_count(server, "gemma-b") == 1)
        code, out = await run_cli("models", "--router", target)
        assert code == 0, out
        rows = {cells[0]: cells for line in out.splitlines() if (cells := line.replace("│", " ").split())}
        assert rows["gemma-b"][1:5] == ["2", "1", "1", "0"]  # workers, loaded, loadable, failed
        code, out = await run_cli("models", "--router", target, "unload", "gemma-b")
        assert code == 0, out
        assert state(warm, "gemma-b") == "available"


def card_count(server: RouterServer, model: str) -> int:
    cards = {c.id: c for c in server.router.model_cards()}
    return cards[model].loaded_workers if model in cards else -1
