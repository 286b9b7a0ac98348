"""API keys against a real redis-server: scopes, revocation, expiry, hashes only."""

from __future__ import annotations

import asyncio
import logging
import time

import grpc
import pytest
import redis.asyncio as aioredis
from google.protobuf import timestamp_pb2

from helixflow.router.access.keys.record import KeyRecord, hash_secret
from helixflow.v1 import admin_pb2

from .conftest import MiniRouter, settings_for, start_router
from .helpers import Failure, bearer, generate, sampled_request
from .redis_proc import RedisProcess


async def _admin_key(router: MiniRouter) -> str:
    """Bootstrap: the first admin key goes straight into the store."""
    template = KeyRecord(
        key_id="", name="root", secret_sha256="", display_prefix="", permissions=[admin_pb2.PERMISSION_ADMIN]
    )
    _, secret = await router.access.keys.create(template)
    return secret


async def _create(router: MiniRouter, admin: str, scopes: admin_pb2.KeyScopes) -> admin_pb2.CreateKeyResponse:
    request = admin_pb2.CreateKeyRequest(name="test", scopes=scopes)
    response: admin_pb2.CreateKeyResponse = await router.admin.CreateKey(request, metadata=bearer(admin))
    return response


@pytest.fixture
async def two_routers(redis_proc: RedisProcess, router_factory: list[MiniRouter]) -> list[MiniRouter]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    await client.aclose()
    for _ in range(2):
        router_factory.append(await start_router(settings_for(redis_proc.url)))
    return router_factory


async def test_no_token_is_unauthenticated(two_routers: list[MiniRouter]) -> None:
    result = await generate(two_routers[0], None)
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAUTHENTICATED
    bad = await generate(two_routers[0], "hf_not-a-real-key")
    assert isinstance(bad, Failure)
    assert bad.code == grpc.StatusCode.UNAUTHENTICATED


async def test_model_outside_scope_is_permission_denied(two_routers: list[MiniRouter]) -> None:
    a = two_routers[0]
    admin = await _admin_key(a)
    created = await _create(a, admin, admin_pb2.KeyScopes(models=["gemma-*"]))
    assert isinstance(await generate(a, created.secret, sampled_request("gemma-3")), list)
    denied = await generate(a, created.secret, sampled_request("llama-3"))
    assert isinstance(denied, Failure)
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED
    # An inference key may not call Admin.
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await a.admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=bearer(created.secret))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_revoked_key_is_refused_on_both_replicas_at_once(two_routers: list[MiniRouter]) -> None:
    a, b = two_routers
    admin = await _admin_key(a)
    created = await _create(a, admin, admin_pb2.KeyScopes())
    assert isinstance(await generate(a, created.secret), list)
    assert isinstance(await generate(b, created.secret), list)
    await b.admin.RevokeKey(admin_pb2.RevokeKeyRequest(key_id=created.key.key_id), metadata=bearer(admin))
    for router in (a, b):
        result = await generate(router, created.secret)
        assert isinstance(result, Failure)
        assert result.code == grpc.StatusCode.UNAUTHENTICATED
    shown = await a.admin.GetKey(admin_pb2.GetKeyRequest(key_id=created.key.key_id), metadata=bearer(admin))
    assert shown.key.HasField("revoked_at")
    listed = await a.admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=bearer(admin))
    assert created.key.key_id not in [k.key_id for k in listed.keys]


async def test_expired_key_is_refused(two_routers: list[MiniRouter]) -> None:
    a = two_routers[0]
    admin = await _admin_key(a)
    soon = timestamp_pb2.Timestamp()
    soon.FromNanoseconds(int((time.time() + 0.5) * 1e9))
    created = await _create(a, admin, admin_pb2.KeyScopes(expires_at=soon))
    assert isinstance(await generate(a, created.secret), list)
    await asyncio.sleep(0.6)
    result = await generate(a, created.secret)
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAUTHENTICATED


async def test_redis_holds_only_hashes_and_logs_no_secret(
    two_routers: list[MiniRouter], redis_proc: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a = two_routers[0]
    admin = await _admin_key(a)
    created = await _create(a, admin, admin_pb2.KeyScopes(rpm=100))
    assert created.secret.startswith("hf_")
    assert created.key.display_prefix == created.secret[:7]
    assert isinstance(await generate(a, created.secret), list)
    client = aioredis.Redis.from_url(redis_proc.url, decode_responses=True)
    parts: list[str] = []
    async for key in client.scan_iter():
        parts.append(str(key))
        kind = str(await client.type(key))
        if kind == "string":
            parts.append(str(await client.get(key)))
        elif kind == "hash":
            parts.append(str(await client.hgetall(key)))
        elif kind == "zset":
            parts.append(str(await client.zrange(key, 0, -1)))
    dump = "\n".join(parts)
    await client.aclose()
    for secret in (admin, created.secret):
        assert secret not in dump
        assert secret[7:] not in dump
        assert hash_secret(secret) in dump
        assert secret not in caplog.text


async def test_usage_is_readable_through_admin(two_routers: list[MiniRouter]) -> None:
    a, b = two_routers
    admin = await _admin_key(a)
    created = await _create(a, admin, admin_pb2.KeyScopes())
    for router in (a, b, a):
        assert isinstance(await generate(router, created.secret), list)
    usage = await b.admin.GetUsage(admin_pb2.GetUsageRequest(key_id=created.key.key_id), metadata=bearer(admin))
    assert [(u.requests, u.prompt_tokens, u.completion_tokens) for u in usage.usage] == [(3, 15, 9)]
