"""``helixflow router --processes 2``: two router processes on one port (SO_REUSEPORT)
share the traffic, and one RPM limit in Redis stays exact across them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
import redis.asyncio as aioredis

from helixflow.common.tls import TlsFiles
from helixflow.router.access.keys.record import KeyRecord
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import RedisKeyStore

from ..conftest import ROOT, CountingEngine, worker
from .helpers import Failure
from .redis_proc import RedisProcess, free_port
from .test_router_processes import SOURCES, _generate, _ready

CONNECTIONS = 24  # separate TCP connections: the kernel spreads them over the two processes


def _routers(
    pki: dict[str, TlsFiles], worker_address: str, redis_url: str, port: int, metrics: int
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
        "HELIXFLOW_ROUTER_METRICS_PORT": str(metrics),  # the processes serve metrics on it and the next port
        "HELIXFLOW_ROUTER_LOAD_REPORT_INTERVAL_MS": "50",
        "HELIXFLOW_ROUTER_ACCESS__REDIS_URL": redis_url,
    }
    command = [sys.executable, "-c", "from helixflow.cli.main import app; app()", "router", "--processes", "2"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _free_pair() -> int:
    """A port whose successor is free too (the second process's metrics)."""
    while True:
        port = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", port + 1))
            return port
        except OSError:
            continue


@pytest.fixture
async def shared_port(
    pki: dict[str, TlsFiles], redis_proc: RedisProcess
) -> AsyncIterator[tuple[list[grpc.aio.Channel], int]]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    async with worker(pki, CountingEngine()) as (_, address):
        port, metrics = free_port(), _free_pair()
        proc = _routers(pki, address, redis_proc.url, port, metrics)
        # A local subchannel pool per channel: each is its own TCP connection.
        options = [("grpc.use_local_subchannel_pool", 1)]
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=options) for _ in range(CONNECTIONS)]
        try:
            await asyncio.gather(*(_ready(c) for c in channels))
            yield channels, metrics
        finally:
            for channel in channels:
                await channel.close()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _counter(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.mark.slow
async def test_two_processes_on_one_port_share_traffic_and_one_exact_rpm_limit(
    shared_port: tuple[list[grpc.aio.Channel], int], redis_proc: RedisProcess
) -> None:
    channels, metrics = shared_port
    client = aioredis.Redis.from_url(redis_proc.url)
    keys = KeyService(RedisKeyStore(client))
    _, open_secret = await keys.create(KeyRecord(key_id="", name="open", secret_sha256="", display_prefix=""))
    _, secret = await keys.create(KeyRecord(key_id="", name="p", secret_sha256="", display_prefix="", rpm=20))
    await client.aclose()
    # One call on each connection: both processes take some.
    assert all(r is True for r in await asyncio.gather(*(_generate(c, open_secret) for c in channels)))
    results = await asyncio.gather(*(_generate(channels[i % len(channels)], secret) for i in range(30)))
    assert sum(r is True for r in results) == 20
    refused = [r for r in results if isinstance(r, Failure)]
    assert len(refused) == 10
    assert all(item.code == grpc.StatusCode.RESOURCE_EXHAUSTED for item in refused)
    served = []
    async with httpx.AsyncClient() as http:
        for port in (metrics, metrics + 1):
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            served.append(_counter(text, "helixflow_router_overhead_ms_count", 'method="Generate"'))
    assert sum(served) == len(channels) + 20
    assert all(count > 0 for count in served)
