"""Cost, spend budgets and projects on two real routers (create_server) sharing one
real Redis, in front of real worker servers (fake engine) over mTLS.

The fake engine makes exactly ``max_tokens`` tokens and reports a token-id prompt's
length as its prompt tokens, so every cost here is known to the nano-dollar.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import grpc
import pytest
import redis.asyncio as aioredis

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

# $1 per million prompt tokens, $2 per million completion tokens: 1000 and 2000 nano-dollars a token.
PRICING = {"fake": {"prompt": 1.0, "completion": 2.0}, "slow": {"prompt": 1.0, "completion": 2.0}}
PROMPT_IDS = 10
MAX_TOKENS = 5
# One request: 10 prompt tokens and 5 completion tokens.
COST = (PROMPT_IDS * 1.0 + MAX_TOKENS * 2.0) / 1e6


@dataclass
class Replica:
    server: RouterServer
    inference: inference_pb2_grpc.InferenceAsyncStub
    admin: admin_pb2_grpc.AdminAsyncStub


@dataclass
class Cluster:
    replicas: list[Replica]
    fast: CountingEngine
    slow: CountingEngine
    admin_token: str

    def admin(self) -> admin_pb2_grpc.AdminAsyncStub:
        return self.replicas[1].admin


@pytest.fixture
async def cluster(pki: dict[str, TlsFiles], redis_proc: RedisProcess) -> AsyncIterator[Cluster]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    fast, slow = CountingEngine(), CountingEngine("slow", token_delay_s=30.0)
    async with AsyncExitStack() as stack:
        _, fast_address = await stack.enter_async_context(worker(pki, fast))
        _, slow_address = await stack.enter_async_context(worker(pki, slow, model_id="slow"))
        replicas = []
        for _ in range(2):
            settings = RouterSettings.model_validate(
                {
                    "listen": "127.0.0.1:0",
                    "worker_tls": tls_settings(pki["router"]),
                    "workers": [fast_address, slow_address],
                    "metrics_port": 0,
                    "load_report_interval_ms": 50,
                    "pricing": PRICING,
                    "access": AccessSettings(redis_url=redis_proc.url, budget_reserve_max_tokens=100),
                }
            )
            server, port = create_server(settings)
            await server.start()
            stack.push_async_callback(server.stop, 0)
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
            stack.push_async_callback(channel.close)
            await wait_for(lambda s=server: len(s.pool.routable()) == 2)
            replicas.append(
                Replica(server, inference_pb2_grpc.InferenceStub(channel), admin_pb2_grpc.AdminStub(channel))
            )
        template = KeyRecord(
            key_id="", name="root", secret_sha256="", display_prefix="", permissions=[admin_pb2.PERMISSION_ADMIN]
        )
        _, admin_token = await replicas[0].server.access.keys.create(template)
        yield Cluster(replicas, fast, slow, admin_token)


async def _key(cluster: Cluster, scopes: admin_pb2.KeyScopes) -> admin_pb2.CreateKeyResponse:
    response: admin_pb2.CreateKeyResponse = await cluster.admin().CreateKey(
        admin_pb2.CreateKeyRequest(name="t", scopes=scopes), metadata=bearer(cluster.admin_token)
    )
    return response


async def _project(cluster: Cluster, limits: admin_pb2.ProjectLimits) -> admin_pb2.Project:
    response = await cluster.admin().CreateProject(
        admin_pb2.CreateProjectRequest(name="team", limits=limits), metadata=bearer(cluster.admin_token)
    )
    return response.project


def _request(model: str = "fake", max_tokens: int | None = MAX_TOKENS) -> inference_pb2.GenerateRequest:
    sampling = common_pb2.SamplingParams()
    if max_tokens is not None:
        sampling.max_tokens = max_tokens
    ids = common_pb2.TokenIds(ids=list(range(PROMPT_IDS)))
    return inference_pb2.GenerateRequest(model=model, token_ids=ids, sampling=sampling)


async def _generate(
    replica: Replica, token: str, request: inference_pb2.GenerateRequest | None = None
) -> list[inference_pb2.GenerateResponse] | Failure:
    try:
        return [m async for m in replica.inference.Generate(request or _request(), metadata=bearer(token))]
    except grpc.aio.AioRpcError as err:
        return failure(err)


def _budget_refusals(results: list[list[inference_pb2.GenerateResponse] | Failure]) -> list[Failure]:
    refused = [r for r in results if isinstance(r, Failure)]
    for item in refused:
        assert item.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert item.reason == "BUDGET_EXCEEDED"
        assert item.retry_s is not None
        assert item.retry_s > 0
    return refused


async def test_budget_is_exact_across_two_routers_and_cost_is_reported(cluster: Cluster) -> None:
    # Room for exactly five requests; twelve arrive at once, on both replicas.
    created = await _key(cluster, admin_pb2.KeyScopes(budget_usd=5 * COST, budget_period="day"))
    results = await asyncio.gather(
        *(_generate(cluster.replicas[i % 2], created.secret) for i in range(12))
    )  # fmt: skip
    assert sum(isinstance(r, list) for r in results) == 5
    assert len(_budget_refusals(results)) == 7
    assert cluster.fast.started == 5

    admin, auth = cluster.admin(), bearer(cluster.admin_token)
    usage = (await admin.GetUsage(admin_pb2.GetUsageRequest(key_id=created.key.key_id), metadata=auth)).usage[0]
    assert usage.cost_usd == pytest.approx(5 * COST)
    key = (await admin.GetKey(admin_pb2.GetKeyRequest(key_id=created.key.key_id), metadata=auth)).key
    assert key.budget.limit_usd == pytest.approx(5 * COST)
    assert key.budget.spent_usd == pytest.approx(5 * COST)  # settled: nothing is reserved any more
    ranged = admin_pb2.GetUsageRequest(key_id=created.key.key_id)
    ranged.start_time.FromSeconds(int(time.time()) - 600)
    # The buckets are written after the replies went out: wait until all five are in.
    for _ in range(200):
        buckets = (await admin.GetUsage(ranged, metadata=auth)).buckets
        if sum(b.requests for b in buckets) == 5:
            break
        await asyncio.sleep(0.05)
    assert sum(b.cost_usd for b in buckets) == pytest.approx(5 * COST)
    assert {b.model for b in buckets} == {"fake"}

    models = {
        m.id: m
        for m in (
            await cluster.replicas[0].inference.ListModels(
                inference_pb2.ListModelsRequest(), metadata=bearer(created.secret)
            )
        ).models
    }
    assert models["fake"].price.completion_per_million == 2.0
    assert models["fake"].price.cached_per_million == 1.0  # defaults to the prompt price


async def test_in_flight_reservation_holds_budget_until_settled(cluster: Cluster) -> None:
    # No max_tokens: a request reserves budget_reserve_max_tokens (100) completion tokens,
    # 10 * 1000 + 100 * 2000 = 210_000 nano-dollars; the budget has room for one at a time.
    reserve = (PROMPT_IDS * 1.0 + 100 * 2.0) / 1e6
    created = await _key(cluster, admin_pb2.KeyScopes(budget_usd=1.5 * reserve))
    a, b = cluster.replicas
    pending = a.inference.Generate(_request("slow", max_tokens=None), metadata=bearer(created.secret))
    await wait_for(lambda: cluster.slow.running == 1)  # admitted, reserved, waiting on its first token
    refused = await _generate(b, created.secret, _request(max_tokens=None))
    assert isinstance(refused, Failure)
    assert refused.reason == "BUDGET_EXCEEDED"
    pending.cancel()
    await wait_for(lambda: cluster.slow.running == 0)
    # Settled: the cancelled call costs its prompt only; sequential calls fit again and
    # each settles to its actual cost (the fake engine makes 16 tokens without max_tokens).
    for replica in (a, b, a):
        assert isinstance(await _generate(replica, created.secret, _request(max_tokens=None)), list)
    key = (
        await cluster.admin().GetKey(
            admin_pb2.GetKeyRequest(key_id=created.key.key_id), metadata=bearer(cluster.admin_token)
        )
    ).key
    assert key.budget.spent_usd == pytest.approx((PROMPT_IDS * 1.0 + 3 * (PROMPT_IDS * 1.0 + 16 * 2.0)) / 1e6)


async def test_project_limits_are_shared_by_its_keys(cluster: Cluster) -> None:
    project = await _project(cluster, admin_pb2.ProjectLimits(rpm=1000, budget_usd=4 * COST, models=["fake"]))
    one = await _key(cluster, admin_pb2.KeyScopes(project_id=project.project_id))
    two = await _key(cluster, admin_pb2.KeyScopes(project_id=project.project_id, budget_usd=100 * COST))
    results = await asyncio.gather(
        *(_generate(cluster.replicas[i % 2], (one, two)[i // 2 % 2].secret) for i in range(10))
    )  # fmt: skip
    assert sum(isinstance(r, list) for r in results) == 4  # the project's budget, not either key's
    assert len(_budget_refusals(results)) == 6
    denied = await _generate(cluster.replicas[0], one.secret, _request("slow"))
    assert isinstance(denied, Failure)
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED

    admin, auth = cluster.admin(), bearer(cluster.admin_token)
    shown = (await admin.GetProject(admin_pb2.GetProjectRequest(project_id=project.project_id), metadata=auth)).project
    assert shown.usage.cost_usd == pytest.approx(4 * COST)
    assert shown.budget.spent_usd == pytest.approx(4 * COST)
    assert (shown.usage.requests, shown.usage.completion_tokens) == (4, 4 * MAX_TOKENS)  # refused calls are no usage
    per_key = (await admin.GetUsage(admin_pb2.GetUsageRequest(project_id=project.project_id), metadata=auth)).usage
    assert {u.key_id for u in per_key} == {one.key.key_id, two.key.key_id}
    assert sum(u.cost_usd for u in per_key) == pytest.approx(4 * COST)


async def test_project_rpm_is_shared_and_a_deleted_project_refuses_its_keys(cluster: Cluster) -> None:
    project = await _project(cluster, admin_pb2.ProjectLimits(rpm=3))
    one = await _key(cluster, admin_pb2.KeyScopes(project_id=project.project_id))
    two = await _key(cluster, admin_pb2.KeyScopes(project_id=project.project_id))
    results = [await _generate(cluster.replicas[i % 2], (one, two)[i % 2].secret) for i in range(5)]
    assert sum(isinstance(r, list) for r in results) == 3
    refused = [r for r in results if isinstance(r, Failure)]
    assert [r.metadata.get("limit") for r in refused] == ["rpm", "rpm"]

    auth = bearer(cluster.admin_token)
    deleted = await cluster.admin().DeleteProject(
        admin_pb2.DeleteProjectRequest(project_id=project.project_id), metadata=auth
    )
    assert deleted.deleted
    gone = await _generate(cluster.replicas[0], one.secret)
    assert isinstance(gone, Failure)
    assert gone.code == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _key(cluster, admin_pb2.KeyScopes(project_id=project.project_id))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
