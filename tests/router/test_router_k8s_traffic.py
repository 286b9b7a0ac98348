"""What Kubernetes needs from the router: connections that age out (so clients behind a
headless Service re-resolve and reach new router pods) without cutting open streams, and
an in-flight metric that forgets workers that left (pod IPs come and go)."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from helixflow.router.config import RouterSettings
from helixflow.router.pool import WorkerPool
from helixflow.router.server import INFERENCE_SERVICE, create_server
from helixflow.router.worker_channels import ChannelFactory

SERVING = health_pb2.HealthCheckResponse.SERVING


def test_connection_age_options() -> None:
    assert RouterSettings().server_options() == []
    options = dict(RouterSettings(max_connection_age_s=300, max_request_s=600).server_options())
    assert options == {"grpc.max_connection_age_ms": 300_000, "grpc.max_connection_age_grace_ms": 600_000}


async def test_old_connections_get_goaway_and_open_streams_finish() -> None:
    settings = RouterSettings(
        listen="127.0.0.1:0",
        worker_tls={"insecure": True},
        metrics_port=0,
        max_connection_age_s=0.5,
        access={"auth_enabled": False},
    )
    server, port = create_server(settings)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        stub = health_pb2_grpc.HealthStub(channel)
        watch = stub.Watch(health_pb2.HealthCheckRequest(service=INFERENCE_SERVICE))
        first = await watch.read()
        assert first.status != SERVING  # no worker yet
        assert channel.get_state() == grpc.ChannelConnectivity.READY
        async with asyncio.timeout(30):  # a safety net; the age is 0.5 s
            await channel.wait_for_state_change(grpc.ChannelConnectivity.READY)
        # GOAWAY: new calls will need a new connection, but the open stream still runs.
        await server.health.set_ready(True)
        async with asyncio.timeout(30):
            update = await watch.read()
        assert update.status == SERVING
        watch.cancel()
    finally:
        await channel.close()
        await server.stop(0)


def _series(address: str) -> float | None:
    return REGISTRY.get_sample_value("helixflow_router_inflight_requests", {"worker": address})


async def test_inflight_series_goes_when_a_removed_worker_is_idle() -> None:
    pool = WorkerPool(ChannelFactory(None), "helixflow.v1.Worker", 50)
    gone, reused = "127.0.0.1:9", "127.0.0.1:10"
    try:
        pool.sync([gone, reused])
        leaving, old = pool.workers[gone], pool.workers[reused]
        leaving.acquire()
        old.acquire()
        pool.sync([])
        assert _series(gone) == 1  # its call still runs: the series stays
        leaving.release()
        assert _series(gone) is None
        # The same address comes back (a reused pod IP) while the old worker's call runs.
        pool.sync([reused])
        pool.workers[reused].acquire()
        old.release()
        assert _series(reused) == 1  # the new worker's call still counts
        pool.workers[reused].release()
        pool.sync([])
        assert _series(reused) is None
    finally:
        await pool.close()
