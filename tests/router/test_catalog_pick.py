"""The router's choice with catalogs, on hand-made worker views (no processes): warm first,
a cold burst joins the load under way, load calls for a second copy only at saturation,
the cheapest worker loads a cold model, and a model failed everywhere says why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from helixflow.common.errors import ModelUnavailable
from helixflow.router.policies.least_load import LeastLoad
from helixflow.router.pool import Worker
from helixflow.router.routing import Router
from helixflow.v1 import worker_pb2

LOADED, AVAILABLE, FAILED = (
    worker_pb2.MODEL_STATE_LOADED,
    worker_pb2.MODEL_STATE_AVAILABLE,
    worker_pb2.MODEL_STATE_FAILED,
)


class Pool:
    def __init__(self, workers: list[Worker]) -> None:
        self.workers = {w.address: w for w in workers}

    def routable(self) -> list[Worker]:
        return list(self.workers.values())


def model(
    model_id: str, state: worker_pb2.ModelState.ValueType, *, evictions: int = 0, failure: str = ""
) -> worker_pb2.CatalogModel:
    return worker_pb2.CatalogModel(
        id=model_id,
        state=state,
        max_sequences=2,
        evictions_needed=evictions,
        failure=failure,
    )


@pytest_asyncio.fixture
async def make() -> AsyncIterator[object]:
    channels: list[grpc.aio.Channel] = []

    def worker(address: str, *models: worker_pb2.CatalogModel) -> Worker:
        channel = grpc.aio.insecure_channel("127.0.0.1:9")  # never called
        channels.append(channel)
        w = Worker(address, channel)
        w.serving = True
        w.info = worker_pb2.InfoResponse(model_id=models[0].id, catalog=models, backend="llama.cpp")
        w.load = worker_pb2.WatchLoadResponse(models=models, max_running=2)
        return w

    yield worker
    for channel in channels:
        await channel.close()


def router(*workers: Worker) -> Router:
    return Router(Pool(list(workers)), LeastLoad(), {})  # type: ignore[arg-type]


async def test_warm_wins_until_saturated_then_a_cold_worker_loads_a_copy(make) -> None:  # type: ignore[no-untyped-def]
    warm = make("warm", model("m", LOADED))
    cold = make("cold", model("m", AVAILABLE))
    r = router(warm, cold)
    for _ in range(3):
        assert r.pick("m", None) is warm
        warm.acquire()
    assert r.pick("m", None) is warm  # 3 requests on 2 slots: still below saturation (4)
    warm.acquire()
    assert r.pick("m", None) is cold  # saturated: load calls for a second copy


async def test_a_cold_burst_goes_to_one_worker(make) -> None:  # type: ignore[no-untyped-def]
    a, b = make("a", model("m", AVAILABLE)), make("b", model("m", AVAILABLE))
    r = router(a, b)
    first = r.pick("m", None)
    first.acquire()
    for _ in range(2):  # the burst joins the load under way
        assert r.pick("m", None) is first
        first.acquire()
    assert first.inflight == 3
    first.acquire()  # 4 requests queued on 2 slots: the next one starts a load elsewhere
    assert r.pick("m", None) is not first


async def test_the_cheapest_worker_loads_a_cold_model(make) -> None:  # type: ignore[no-untyped-def]
    full = make("full", model("m", AVAILABLE, evictions=1), model("other", LOADED))
    roomy = make("roomy", model("m", AVAILABLE, evictions=0))
    roomy.acquire()  # busier, but loading there evicts nothing
    assert router(full, roomy).pick("m", None) is roomy


async def test_failed_everywhere_gives_the_reasons_and_cards_count_states(make) -> None:  # type: ignore[no-untyped-def]
    a = make("a", model("m", FAILED, failure="bad magic"), model("n", LOADED))
    b = make("b", model("n", AVAILABLE), model("m", FAILED, failure="truncated"))
    r = router(a, b)
    assert r.resolve("m") == "m"
    with pytest.raises(ModelUnavailable, match="a: bad magic; b: truncated"):
        r.pick("m", None)
    cards = {c.id: c for c in r.model_cards()}
    assert (cards["m"].loaded_workers, cards["m"].loadable_workers, cards["m"].failed_workers) == (0, 0, 2)
    assert (cards["n"].loaded_workers, cards["n"].loadable_workers, cards["n"].ready_workers) == (1, 1, 2)
    assert sorted(r.known_models()) == ["n"]
