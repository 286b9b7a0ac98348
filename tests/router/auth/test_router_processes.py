"""Two router processes (``helixflow router``) sharing one redis-server: one exact RPM limit."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import grpc
import pytest
import redis.asyncio as aioredis
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.common.tls import TlsFiles
from helixflow.router.access.keys.record import KeyRecord
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import RedisKeyStore
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc

from ..conftest import ROOT, CountingEngine, worker
from .helpers import Failure, bearer, failure
from .redis_proc import RedisProcess, free_port

SOURCES = ("gen/python", "services/common", "services/worker", "services/router", "services/rest_bridge")


def _router_process(
    pki: dict[str, TlsFiles], worker_address: str, redis_url: str, port: int
) -> subprocess.Popen[bytes]:
    tls = pki["router"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in SOURCES),
        "HELIXFLOW_ROUTER_LISTEN": f"127.0.0.1:{port}",
        "HELIXFLOW_ROUTER_WORKERS": worker_address,
        "HELIXFLOW_ROUTER_WORKER_TLS__CA_FILE": str(tls.ca_file),
        "HELIXFLOW_ROUTER_WORKER_TLS__CERT_FILE": str(tls.cert_file),
        "HELIXFLOW_ROUTER_WORKER_TLS__KEY_FILE": str(tls.key_file),
        "HELIXFLOW_ROUTER_METRICS_PORT": "0",
        "HELIXFLOW_ROUTER_LOAD_REPORT_INTERVAL_MS": "50",
        "HELIXFLOW_ROUTER_ACCESS__REDIS_URL": redis_url,
    }
    command = [sys.executable, "-c", "from helixflow.cli.main import app; app()", "router"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _ready(channel: grpc.aio.Channel) -> None:
    """Wait until the router reports the Inference service SERVING (it has a routable worker)."""
    stub = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="helixflow.v1.Inference")
    async with asyncio.timeout(30):
        while True:
            try:
                reply = await stub.Check(request, timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)


@pytest.fixture
async def router_channels(pki: dict[str, TlsFiles], redis_proc: RedisProcess) -> AsyncIterator[list[grpc.aio.Channel]]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    async with worker(pki, CountingEngine()) as (_, address):
        ports = [free_port(), free_port()]
        procs = [_router_process(pki, address, redis_proc.url, port) for port in ports]
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}") for port in ports]
        try:
            await asyncio.gather(*(_ready(c) for c in channels))
            yield channels
        finally:
            for channel in channels:
                await channel.close()
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


async def _generate(channel: grpc.aio.Channel, token: str) -> bool | Failure:
    request = inference_pb2.GenerateRequest(model="fake", prompt="hi", sampling=common_pb2.SamplingParams(max_tokens=2))
    try:
        async for _ in inference_pb2_grpc.InferenceStub(channel).Generate(request, metadata=bearer(token)):
            pass
        return True
    except grpc.aio.AioRpcError as err:
        return failure(err)


@pytest.mark.slow
async def test_two_router_processes_share_one_exact_rpm_limit(
    router_channels: list[grpc.aio.Channel], redis_proc: RedisProcess
) -> None:
    client = aioredis.Redis.from_url(redis_proc.url)
    template = KeyRecord(key_id="", name="p", secret_sha256="", display_prefix="", rpm=20)
    _, secret = await KeyService(RedisKeyStore(client)).create(template)
    await client.aclose()
    results = await asyncio.gather(*(_generate(router_channels[i % 2], secret) for i in range(30)))
    assert sum(r is True for r in results) == 20
    refused = [r for r in results if isinstance(r, Failure)]
    assert len(refused) == 10
    for item in refused:
        assert item.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert item.metadata["limit"] == "rpm"
        assert item.retry_s is not None
        assert item.retry_s > 0
