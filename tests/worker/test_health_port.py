"""The plaintext health-only listener kubelet probes use (worker ``health_listen``)."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.common.tls import TlsFiles
from helixflow.v1 import worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.fake import FakeEngine
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import SERVICE_NAME, create_server
from tests.conftest import tls_settings

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _status(channel: grpc.aio.Channel, service: str) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    return int(reply.status)


async def test_health_port_is_plaintext_and_mirrors_readiness(
    pki: dict[str, TlsFiles], llama_engine: LlamaCppEngine
) -> None:
    settings = WorkerSettings(
        listen="127.0.0.1:0", health_listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0
    )
    server, port = create_server(settings, engine=llama_engine)
    assert server.health_port not in (0, port)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.health_port}") as channel:
            assert await _status(channel, "") == SERVING
            assert await _status(channel, SERVICE_NAME) == SERVING
            # Same state as the mTLS port: what load and drain set shows here too.
            await server.health.set_ready(False)
            assert await _status(channel, SERVICE_NAME) == NOT_SERVING
            assert await _status(channel, "") == SERVING
            await server.health.set_ready(True)
            assert await _status(channel, SERVICE_NAME) == SERVING
            # Only health: the Worker service is not reachable without a client certificate.
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await worker_pb2_grpc.WorkerStub(channel).Info(worker_pb2.InfoRequest(), timeout=5)
            assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        # The main port still refuses plaintext.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError):
                await _status(channel, "")
    finally:
        await server.stop(grace=0)


def test_health_port_is_off_by_default() -> None:
    assert WorkerSettings().health_listen == ""


class DyingEngine(FakeEngine):
    """A fake engine whose decode loop can be declared dead (as a crashed engine process is)."""

    dead = False

    def alive(self) -> bool:
        return not self.dead


async def test_liveness_fails_when_the_engine_dies(pki: dict[str, TlsFiles]) -> None:
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        health_listen="127.0.0.1:0",
        tls=tls_settings(pki["worker"]),
        metrics_port=0,
        liveness_check_s=0.02,
    )
    engine = DyingEngine()
    server, _ = create_server(settings, engine=engine)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.health_port}") as channel:
            assert await _status(channel, "") == SERVING
            engine.dead = True
            for _ in range(500):  # the watchdog's next check (bounded wait, nothing timed)
                if await _status(channel, "") == NOT_SERVING:
                    break
                await asyncio.sleep(0.01)
            assert await _status(channel, "") == NOT_SERVING
            assert await _status(channel, SERVICE_NAME) == NOT_SERVING
    finally:
        await server.stop(grace=0)
