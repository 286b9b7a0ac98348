"""Redis killed mid-test: quotas fail open or closed as configured, never a crash."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from helixflow.router.keys.record import KeyRecord

from .conftest import MiniRouter, RsaKeys, settings_for, start_router
from .helpers import Failure, generate, make_jwt
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
