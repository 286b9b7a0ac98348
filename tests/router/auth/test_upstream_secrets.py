"""Upstream secrets stored by HelixFlow: the Admin RPCs against a real redis-server,
AES-256-GCM envelopes holding only ciphertext, and key rotation."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import AsyncIterator

import grpc
import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY, generate_latest

from helixflow.common.secrets import Keyring, SecretRecord, SecretStore, SecretsUnavailable, generate_key
from helixflow.router.access.keys.record import KeyRecord
from helixflow.v1 import admin_pb2

from .conftest import MiniRouter, settings_for, start_router
from .helpers import bearer
from .redis_proc import RedisProcess

KEYS_ENV = "HELIXFLOW_TEST_SECRETS_KEYS"


async def _key(router: MiniRouter, permission: int) -> str:
    template = KeyRecord(key_id="", name="k", secret_sha256="", display_prefix="", permissions=[permission])
    _, secret = await router.access.keys.create(template)
    return secret


@pytest.fixture
async def redis_client(redis_proc: RedisProcess) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    yield client
    await client.aclose()


async def _router(url: str | None, router_factory: list[MiniRouter]) -> MiniRouter:
    router = await start_router(settings_for(url, secrets_keys_env=KEYS_ENV))
    router_factory.append(router)
    return router


async def _all_redis_bytes(client: aioredis.Redis) -> bytes:
    out = b""
    async for key in client.scan_iter("*"):
        kind = await client.type(key)
        value = await client.get(key) if kind == b"string" else repr(await client.zrange(key, 0, -1)).encode()
        out += key + b"=" + (value or b"") + b"\n"
    return out


async def test_admin_stores_ciphertext_lists_no_values_and_rotates(
    redis_proc: RedisProcess,
    redis_client: aioredis.Redis,
    router_factory: list[MiniRouter],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old_key, new_key = generate_key(), generate_key()
    monkeypatch.setenv(KEYS_ENV, f"k1:{old_key}")
    router = await _router(redis_proc.url, router_factory)
    admin = bearer(await _key(router, admin_pb2.PERMISSION_ADMIN))
    value = f"sk-provider-{secrets.token_hex(16)}"

    with caplog.at_level("DEBUG"):
        created = await router.admin.SetUpstreamSecret(
            admin_pb2.SetUpstreamSecretRequest(name="openai-prod", value=value), metadata=admin
        )
    assert (created.secret.name, created.secret.key_id) == ("openai-prod", "k1")
    listed = await router.admin.ListUpstreamSecrets(admin_pb2.ListUpstreamSecretsRequest(), metadata=admin)
    assert [s.name for s in listed.secrets] == ["openai-prod"]
    assert value.encode() not in created.SerializeToString() + listed.SerializeToString()
    stored = await _all_redis_bytes(redis_client)
    assert b"openai-prod" in stored  # the record is there ...
    assert value.encode() not in stored  # ... as ciphertext only
    assert base64.b64encode(value.encode()) not in stored

    # Rotation: a new key goes first (every process restarts with it), then rotate.
    monkeypatch.setenv(KEYS_ENV, f"k2:{new_key},k1:{old_key}")
    rotated_router = await _router(redis_proc.url, router_factory)
    result = await rotated_router.admin.RotateUpstreamSecrets(admin_pb2.RotateUpstreamSecretsRequest(), metadata=admin)
    assert (result.key_id, result.rotated, result.current) == ("k2", 1, 0)
    again = await rotated_router.admin.RotateUpstreamSecrets(admin_pb2.RotateUpstreamSecretsRequest(), metadata=admin)
    assert (again.rotated, again.current) == (0, 1)
    # The old key can now be dropped: the new one alone decrypts the record.
    only_new = SecretStore(redis_client, Keyring.parse(f"k2:{new_key}"))
    assert await only_new.reveal("openai-prod") == value
    with pytest.raises(SecretsUnavailable, match="k2"):
        await SecretStore(redis_client, Keyring.parse(f"k1:{old_key}")).reveal("openai-prod")

    assert caplog.records, "the router's logs were not captured"
    assert value not in caplog.text
    assert value not in generate_latest(REGISTRY).decode()

    deleted = await router.admin.DeleteUpstreamSecret(
        admin_pb2.DeleteUpstreamSecretRequest(name="openai-prod"), metadata=admin
    )
    assert deleted.deleted
    assert not (await router.admin.ListUpstreamSecrets(admin_pb2.ListUpstreamSecretsRequest(), metadata=admin)).secrets
    assert not (
        await router.admin.DeleteUpstreamSecret(
            admin_pb2.DeleteUpstreamSecretRequest(name="openai-prod"), metadata=admin
        )
    ).deleted


async def test_secrets_need_admin_scope_a_keyring_and_redis(
    redis_proc: RedisProcess,
    redis_client: aioredis.Redis,
    router_factory: list[MiniRouter],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEYS_ENV, f"k1:{generate_key()}")
    router = await _router(redis_proc.url, router_factory)
    user = bearer(await _key(router, admin_pb2.PERMISSION_INFERENCE))
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await router.admin.ListUpstreamSecrets(admin_pb2.ListUpstreamSecretsRequest(), metadata=user)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    admin = bearer(await _key(router, admin_pb2.PERMISSION_ADMIN))
    with pytest.raises(grpc.aio.AioRpcError) as bad_name:
        await router.admin.SetUpstreamSecret(admin_pb2.SetUpstreamSecretRequest(name="a b", value="x"), metadata=admin)
    assert bad_name.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    monkeypatch.delenv(KEYS_ENV)
    no_keyring = await _router(redis_proc.url, router_factory)
    admin = bearer(await _key(no_keyring, admin_pb2.PERMISSION_ADMIN))
    with pytest.raises(grpc.aio.AioRpcError) as off:
        await no_keyring.admin.SetUpstreamSecret(
            admin_pb2.SetUpstreamSecretRequest(name="n", value="v"), metadata=admin
        )
    assert off.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert KEYS_ENV in (off.value.details() or "")


async def test_an_envelope_is_bound_to_its_name_and_tampering_fails(redis_client: aioredis.Redis) -> None:
    raw_key = generate_key()
    keyring = Keyring.parse(f"k1:{raw_key}")
    store = SecretStore(redis_client, keyring)
    await store.set("a", "value-a")
    first = keyring.encrypt("a", "same")
    assert first != keyring.encrypt("a", "same"), "a fresh nonce every time"
    assert len(base64.b64decode(json.loads(first)["nonce"])) == 12
    # A record copied under another name does not decrypt (the name is associated data).
    raw = await redis_client.get("hf:upsecret:a")
    assert raw is not None
    record = SecretRecord.from_json(raw)
    await redis_client.set("hf:upsecret:b", SecretRecord("b", "k1", record.envelope, 0.0, 0.0).to_json())
    with pytest.raises(SecretsUnavailable, match="does not decrypt"):
        await store.reveal("b")
    envelope = json.loads(record.envelope)
    ct = bytearray(base64.b64decode(envelope["ct"]))
    ct[0] ^= 1
    envelope["ct"] = base64.b64encode(bytes(ct)).decode()
    with pytest.raises(SecretsUnavailable, match="does not decrypt"):
        keyring.decrypt("a", json.dumps(envelope))
    assert await store.reveal("a") == "value-a"
    assert raw_key not in repr(keyring)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "k1",
        "k1:not-base64!",
        f"k1:{base64.b64encode(b'short').decode()}",
        f"k1:{generate_key()},k1:{generate_key()}",
    ],
)
def test_a_bad_keyring_is_refused(text: str) -> None:
    with pytest.raises(SecretsUnavailable):
        Keyring.parse(text)
