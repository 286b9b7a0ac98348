"""Redis killed mid-test: quotas fail open or closed as configured, never a crash."""

from __future__ import annotations

from collections.abc import Awaitable

import grpc
import pytest
from prometheus_client import REGISTRY

from helixflow.router.access.keys.record import KeyRecord
from helixflow.v1 import admin_pb2

from .conftest import MiniRouter, RsaKeys, settings_for, start_router
from .helpers import Failure, failure, generate, make_jwt
from .redis_proc import RedisProcess


def _errors(outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "helixflow_state_backend_errors_total", {"component": "quota", "outcome": outcome}
    )
    return value or 0.0


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
async def test_quota_policy_when_redis_dies(
    fresh_redis: RedisProcess, rsa_keys: RsaKeys, router_factory: list[MiniRouter], fail_open: bool
) -> None:
    router = await start_router(settings_for(fresh_redis.url, rsa_keys, quota_fail_open=fail_open))
    router_factory.append(router)
    # A JWT needs no Redis to authenticate, so only the quota check meets the dead store.
    token = make_jwt(rsa_keys, hf_rpm=100, hf_tpm=10_000)
    assert isinstance(await generate(router, token), list)
    before = _errors("admitted" if fail_open else "refused")
    fresh_redis.kill()
    result = await generate(router, token)
    if fail_open:
        assert isinstance(result, list)
    else:
        assert isinstance(result, Failure)
        assert result.code == grpc.StatusCode.UNAVAILABLE
        assert result.retry_s is not None
    assert _errors("admitted" if fail_open else "refused") == before + 1


async def test_api_key_is_refused_when_key_store_is_down(
    fresh_redis: RedisProcess, router_factory: list[MiniRouter]
) -> None:
    router = await start_router(settings_for(fresh_redis.url, quota_fail_open=True))
    router_factory.append(router)
    template = KeyRecord(key_id="", name="k", secret_sha256="", display_prefix="")
    _, secret = await router.access.keys.create(template)
    assert isinstance(await generate(router, secret), list)
    fresh_redis.kill()
    result = await generate(router, secret)
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAVAILABLE


async def test_admin_calls_are_unavailable_when_the_key_store_is_down(
    fresh_redis: RedisProcess, router_factory: list[MiniRouter]
) -> None:
    # Auth off: the caller is an admin without a key lookup, so only the Admin call meets the dead store.
    router = await start_router(settings_for(fresh_redis.url, auth_enabled=False))
    router_factory.append(router)
    created = await router.admin.CreateKey(admin_pb2.CreateKeyRequest(name="before"))
    assert (await router.admin.ListKeys(admin_pb2.ListKeysRequest())).keys[0].key_id == created.key.key_id
    fresh_redis.kill()
    calls: dict[str, Awaitable[object]] = {
        "CreateKey": router.admin.CreateKey(admin_pb2.CreateKeyRequest(name="after")),
        "ListKeys": router.admin.ListKeys(admin_pb2.ListKeysRequest()),
        "GetKey": router.admin.GetKey(admin_pb2.GetKeyRequest(key_id=created.key.key_id)),
        "RevokeKey": router.admin.RevokeKey(admin_pb2.RevokeKeyRequest(key_id=created.key.key_id)),
        "GetUsage": router.admin.GetUsage(admin_pb2.GetUsageRequest()),
    }
    for name, pending in calls.items():
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await pending
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, name
        assert "Redis" in (caught.value.details() or ""), name
        assert failure(caught.value).retry_s is not None, name
