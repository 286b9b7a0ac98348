"""Priority classes at the router: the key's scope caps what a request asks for, the
worker receives the capped class, and the router counts calls by it."""

from __future__ import annotations

import grpc
import pytest
from prometheus_client import REGISTRY

from helixflow.router.access.keys.record import KeyRecord
from helixflow.v1 import admin_pb2, common_pb2, inference_pb2

from .conftest import MiniRouter, RsaKeys, settings_for, start_router
from .helpers import Failure, bearer, generate, make_jwt, sampled_request
from .redis_proc import RedisProcess

LOW, NORMAL, HIGH = common_pb2.PRIORITY_LOW, common_pb2.PRIORITY_NORMAL, common_pb2.PRIORITY_HIGH
UNSET = common_pb2.PRIORITY_UNSPECIFIED


@pytest.fixture
async def router(redis_proc: RedisProcess, rsa_keys: RsaKeys, router_factory: list[MiniRouter]) -> MiniRouter:
    router_factory.append(await start_router(settings_for(redis_proc.url, rsa_keys)))
    return router_factory[0]


def asking(priority: common_pb2.Priority.ValueType) -> inference_pb2.GenerateRequest:
    request = sampled_request()
    request.priority = priority
    return request


async def priorities_seen(router: MiniRouter, token: str, asked: list[common_pb2.Priority.ValueType]) -> list[int]:
    router.inference.priorities.clear()
    for priority in asked:
        assert isinstance(await generate(router, token, asking(priority)), list)
    return list(router.inference.priorities)


def counted(priority: str) -> float:
    return REGISTRY.get_sample_value("helixflow_router_generate_requests_total", {"priority": priority}) or 0.0


async def test_jwt_claim_caps_the_priority_the_worker_receives(router: MiniRouter, rsa_keys: RsaKeys) -> None:
    asked = [UNSET, LOW, NORMAL, HIGH]
    plain = make_jwt(rsa_keys)  # no claim: at most NORMAL
    assert await priorities_seen(router, plain, asked) == [NORMAL, LOW, NORMAL, NORMAL]
    high = make_jwt(rsa_keys, hf_max_priority="high")
    assert await priorities_seen(router, high, asked) == [NORMAL, LOW, NORMAL, HIGH]
    low = make_jwt(rsa_keys, hf_max_priority=int(LOW))
    assert await priorities_seen(router, low, asked) == [LOW, LOW, LOW, LOW]


async def test_a_bad_priority_claim_is_unauthenticated(router: MiniRouter, rsa_keys: RsaKeys) -> None:
    for bad in ("urgent", 0, 9, True):
        result = await generate(router, make_jwt(rsa_keys, hf_max_priority=bad))
        assert isinstance(result, Failure)
        assert result.code == grpc.StatusCode.UNAUTHENTICATED


async def test_api_key_scope_caps_priority_and_round_trips_through_admin(router: MiniRouter) -> None:
    root = KeyRecord(
        key_id="", name="root", secret_sha256="", display_prefix="", permissions=[admin_pb2.PERMISSION_ADMIN]
    )
    _, admin = await router.access.keys.create(root)
    scopes = admin_pb2.KeyScopes(max_priority=HIGH)
    created = await router.admin.CreateKey(
        admin_pb2.CreateKeyRequest(name="vip", scopes=scopes), metadata=bearer(admin)
    )
    assert created.key.scopes.HasField("max_priority")
    assert created.key.scopes.max_priority == HIGH
    plain = await router.admin.CreateKey(admin_pb2.CreateKeyRequest(name="plain"), metadata=bearer(admin))
    assert not plain.key.scopes.HasField("max_priority")
    before = counted("high"), counted("normal")
    assert await priorities_seen(router, created.secret, [HIGH, LOW]) == [HIGH, LOW]
    assert await priorities_seen(router, plain.secret, [HIGH]) == [NORMAL]
    # Counted by the class each call runs at, after the cap.
    assert counted("high") - before[0] == 1
    assert counted("normal") - before[1] == 1
