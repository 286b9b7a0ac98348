"""Exact RPM/TPM limits across two replicas sharing one real Redis."""

from __future__ import annotations

import asyncio

import grpc
import pytest
import redis.asyncio as aioredis

from helixflow.common.errors import ConcurrencyLimited
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.keys.record import KeyRecord
from helixflow.router.access.quota.enforcer import QuotaEnforcer
from helixflow.router.access.quota.limiter import MemoryRateLimiter, RedisRateLimiter
from helixflow.router.access.quota.streams import MemoryStreamSlots, RedisStreamSlots

from .conftest import MiniRouter, settings_for, start_router
from .fake_upstream import COMPLETION_TOKENS, PROMPT_TOKENS
from .helpers import Failure, generate, sampled_request
from .redis_proc import RedisProcess


@pytest.fixture
async def replicas(redis_proc: RedisProcess, router_factory: list[MiniRouter]) -> list[MiniRouter]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    for _ in range(2):
        router_factory.append(await start_router(settings_for(redis_proc.url)))
    return router_factory


async def _key(router: MiniRouter, **limits: int) -> str:
    template = KeyRecord(key_id="", name="quota", secret_sha256="", display_prefix="", **limits)  # type: ignore[arg-type]
    _, secret = await router.access.keys.create(template)
    return secret


async def test_rpm_limit_is_exact_across_two_replicas(replicas: list[MiniRouter]) -> None:
    secret = await _key(replicas[0], rpm=20)
    # Concurrent calls spread over both replicas: the shared Lua script decides each one.
    results = await asyncio.gather(*(generate(replicas[i % 2], secret) for i in range(30)))
    ok = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, Failure)]
    assert len(ok) == 20
    assert len(refused) == 10
    for failure in refused:
        assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert failure.reason == "RATE_LIMIT_RPM"
        assert failure.metadata["limit"] == "rpm"
        assert failure.retry_s is not None
        assert 0 < failure.retry_s <= 3.0


async def test_tpm_limit_is_exact_across_two_replicas(replicas: list[MiniRouter]) -> None:
    # Each call: 5 prompt tokens charged on admission, 3 completion tokens reconciled at the end.
    per_call = PROMPT_TOKENS + COMPLETION_TOKENS
    secret = await _key(replicas[0], tpm=per_call * 10)
    results = [await generate(replicas[i % 2], secret) for i in range(15)]
    assert sum(isinstance(r, list) for r in results) == 10
    assert all(isinstance(r, list) for r in results[:10])
    for failure in results[10:]:
        assert isinstance(failure, Failure)
        assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert failure.reason == "RATE_LIMIT_TPM"
        assert failure.metadata["limit"] == "tpm"
        assert failure.retry_s is not None
        assert failure.retry_s > 0


async def test_redis_and_memory_limiters_agree(redis_proc: RedisProcess) -> None:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    redis_limiter, memory_limiter = RedisRateLimiter(client), MemoryRateLimiter()
    for limiter in (redis_limiter, memory_limiter):
        decisions = [await limiter.admit("k", 5, None, 1) for _ in range(7)]
        assert [d.admitted for d in decisions] == [True] * 5 + [False] * 2
        assert decisions[-1].limit == "rpm"
        assert 11.0 < decisions[-1].retry_after_s <= 12.0
    await client.aclose()


async def test_concurrent_stream_limit(redis_proc: RedisProcess) -> None:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    principal = Principal(subject="streams", max_concurrent_streams=2)
    for slots in (RedisStreamSlots(client), MemoryStreamSlots()):
        enforcer = QuotaEnforcer(MemoryRateLimiter(), slots, fail_open=False)
        assert await enforcer.open_stream(principal)
        assert await enforcer.open_stream(principal)
        with pytest.raises(ConcurrencyLimited):
            await enforcer.open_stream(principal)
        await enforcer.close_stream(principal)
        assert await enforcer.open_stream(principal)
    await client.aclose()


async def test_memory_backend_without_redis(router_factory: list[MiniRouter], tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    router = await start_router(settings_for(None, key_db_path=tmp_path / "keys.sqlite3"))
    router_factory.append(router)
    secret = await _key(router, rpm=3)
    results = [await generate(router, secret) for _ in range(5)]
    assert [isinstance(r, list) for r in results] == [True, True, True, False, False]
    assert (tmp_path / "keys.sqlite3").read_bytes().find(secret.encode()) == -1


async def test_principals_do_not_leak_between_concurrent_calls(replicas: list[MiniRouter]) -> None:
    secrets = {}
    for model in ("model-a", "model-b"):
        template = KeyRecord(key_id="", name=model, secret_sha256="", display_prefix="", models=[model])
        secrets[model] = (await replicas[0].access.keys.create(template))[1]
    calls = [
        generate(replicas[i % 2], secrets[model], sampled_request(model))
        for i in range(20)
        for model in ("model-a", "model-b")
    ]
    results = await asyncio.gather(*calls)
    assert all(isinstance(r, list) for r in results)
