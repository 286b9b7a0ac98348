"""Two real routers (create_server) sharing one real Redis, in front of a fake worker over mTLS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import grpc
import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from helixflow.common.grpc_server import ROUTER_MS_KEY
from helixflow.common.tls import TlsFiles
from helixflow.router.access.keys.record import KeyRecord
from helixflow.router.access.settings import AccessSettings
from helixflow.router.config import RouterSettings
from helixflow.router.server import RouterServer, create_server
from helixflow.v1 import admin_pb2, admin_pb2_grpc, common_pb2, inference_pb2, inference_pb2_grpc
from tests.conftest import tls_settings

from ..conftest import CountingEngine, wait_for, worker
from .helpers import Failure, bearer, failure
from .redis_proc import RedisProcess


@dataclass
class Replica:
    server: RouterServer
    inference: inference_pb2_grpc.InferenceAsyncStub
    admin: admin_pb2_grpc.AdminAsyncStub


@dataclass
class Cluster:
    replicas: list[Replica]
    engine: CountingEngine
    admin_token: str


@pytest.fixture
async def cluster(pki: dict[str, TlsFiles], redis_proc: RedisProcess) -> AsyncIterator[Cluster]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    engine = CountingEngine()
    async with AsyncExitStack() as stack:
        _, address = await stack.enter_async_context(worker(pki, engine))
        replicas = []
        for _ in range(2):
            settings = RouterSettings(
                listen="127.0.0.1:0",
                worker_tls=tls_settings(pki["router"]),
                workers=[address],
                metrics_port=0,
                load_report_interval_ms=50,
                access=AccessSettings(redis_url=redis_proc.url, response_cache_enabled=True),
            )
            server, port = create_server(settings)
            await server.start()
            stack.push_async_callback(server.stop, 0)
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
            stack.push_async_callback(channel.close)
            await wait_for(lambda s=server: len(s.pool.routable()) == 1)
            replicas.append(
                Replica(server, inference_pb2_grpc.InferenceStub(channel), admin_pb2_grpc.AdminStub(channel))
            )
        template = KeyRecord(
            key_id="", name="root", secret_sha256="", display_prefix="", permissions=[admin_pb2.PERMISSION_ADMIN]
        )
        _, admin_token = await replicas[0].server.access.keys.create(template)
        yield Cluster(replicas, engine, admin_token)


async def _key(cluster: Cluster, scopes: admin_pb2.KeyScopes) -> admin_pb2.CreateKeyResponse:
    request = admin_pb2.CreateKeyRequest(name="t", scopes=scopes)
    response: admin_pb2.CreateKeyResponse = await cluster.replicas[1].admin.CreateKey(
        request, metadata=bearer(cluster.admin_token)
    )
    return response


def _request(model: str = "fake", greedy: bool = False) -> inference_pb2.GenerateRequest:
    sampling = common_pb2.SamplingParams(max_tokens=4)
    if greedy:
        sampling.temperature = 0.0
    return inference_pb2.GenerateRequest(model=model, prompt="hello world", sampling=sampling)


async def _generate(
    replica: Replica, token: str | None, request: inference_pb2.GenerateRequest | None = None
) -> list[inference_pb2.GenerateResponse] | Failure:
    try:
        call = replica.inference.Generate(request or _request(), metadata=bearer(token) if token else None)
        return [message async for message in call]
    except grpc.aio.AioRpcError as err:
        return failure(err)


async def test_two_routers_enforce_one_exact_rpm_limit(cluster: Cluster) -> None:
    created = await _key(cluster, admin_pb2.KeyScopes(rpm=20))
    results = await asyncio.gather(*(_generate(cluster.replicas[i % 2], created.secret) for i in range(30)))
    assert sum(isinstance(r, list) for r in results) == 20
    refused = [r for r in results if isinstance(r, Failure)]
    assert len(refused) == 10
    for item in refused:
        assert item.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert item.metadata["limit"] == "rpm"
        assert item.retry_s is not None
        assert item.retry_s > 0
    assert cluster.engine.started == 20


async def test_revocation_scope_and_missing_token_on_real_routers(cluster: Cluster) -> None:
    a, b = cluster.replicas
    created = await _key(cluster, admin_pb2.KeyScopes(models=["gemma-*"]))
    denied = await _generate(a, created.secret)
    assert isinstance(denied, Failure)
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    anyone = await _key(cluster, admin_pb2.KeyScopes())
    assert isinstance(await _generate(a, anyone.secret), list)
    assert isinstance(await _generate(b, anyone.secret), list)
    await a.admin.RevokeKey(admin_pb2.RevokeKeyRequest(key_id=anyone.key.key_id), metadata=bearer(cluster.admin_token))
    for replica in (a, b):
        result = await _generate(replica, anyone.secret)
        assert isinstance(result, Failure)
        assert result.code == grpc.StatusCode.UNAUTHENTICATED
    missing = await _generate(b, None)
    assert isinstance(missing, Failure)
    assert missing.code == grpc.StatusCode.UNAUTHENTICATED


async def test_cache_hit_through_real_routers(cluster: Cluster) -> None:
    a, b = cluster.replicas
    created = await _key(cluster, admin_pb2.KeyScopes())
    hits = REGISTRY.get_sample_value("helixflow_cache_lookups_total", {"cache": "response", "result": "hit"}) or 0.0
    first = await _generate(a, created.secret, _request(greedy=True))
    second = await _generate(b, created.secret, _request(greedy=True))
    assert isinstance(first, list)
    assert first == second
    assert cluster.engine.started == 1
    after = REGISTRY.get_sample_value("helixflow_cache_lookups_total", {"cache": "response", "result": "hit"})
    assert after == hits + 1
    usage = await b.admin.GetUsage(
        admin_pb2.GetUsageRequest(key_id=created.key.key_id), metadata=bearer(cluster.admin_token)
    )
    complete = first[-1].complete
    assert usage.usage[0].requests == 2
    assert usage.usage[0].completion_tokens == 2 * complete.usage.completion_tokens


async def test_two_routers_enforce_one_exact_tpm_limit(cluster: Cluster) -> None:
    probe = await _key(cluster, admin_pb2.KeyScopes())
    first = await _generate(cluster.replicas[0], probe.secret)
    assert isinstance(first, list)
    usage = first[-1].complete.usage
    per_call = usage.prompt_tokens + usage.completion_tokens
    # Admission charges an estimate of the prompt; the end of each stream settles the real count.
    created = await _key(cluster, admin_pb2.KeyScopes(tpm=per_call * 5))
    results = [await _generate(cluster.replicas[i % 2], created.secret) for i in range(8)]
    assert [isinstance(r, list) for r in results] == [True] * 5 + [False] * 3
    for item in results[5:]:
        assert isinstance(item, Failure)
        assert item.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert item.metadata["limit"] == "tpm"
        assert item.retry_s is not None
        assert item.retry_s > 0


def _router_errors(method: str, code: str) -> float:
    return REGISTRY.get_sample_value("helixflow_router_errors_total", {"method": method, "code": code}) or 0.0


async def test_gate_refusals_end_like_every_other_router_error(cluster: Cluster) -> None:
    # Scope and quota refusals come from the access gate, asked by the servicer: they carry
    # the router's time in the trailer and count in the router's error metric.
    a, _ = cluster.replicas
    scoped = await _key(cluster, admin_pb2.KeyScopes(models=["gemma-*"]))
    before = _router_errors("Generate", "PERMISSION_DENIED")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await a.inference.Generate(_request(), metadata=bearer(scoped.secret)).read()
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert float(dict(caught.value.trailing_metadata() or ())[ROUTER_MS_KEY]) >= 0
    assert _router_errors("Generate", "PERMISSION_DENIED") == before + 1

    before = _router_errors("Embed", "PERMISSION_DENIED")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await a.inference.Embed(inference_pb2.EmbedRequest(model="fake", inputs=["x"]), metadata=bearer(scoped.secret))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert ROUTER_MS_KEY in dict(caught.value.trailing_metadata() or ())
    assert _router_errors("Embed", "PERMISSION_DENIED") == before + 1
    assert cluster.engine.started == 0
