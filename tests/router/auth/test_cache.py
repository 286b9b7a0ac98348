"""Response and embedding caches: identical replay, metrics, bypass, TPM still charged."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from helixflow.common.grpc_server import PRIORITY_KEY
from helixflow.router.access.cache.response import cache_key, is_deterministic
from helixflow.router.access.keys.record import KeyRecord
from helixflow.v1 import admin_pb2, common_pb2, inference_pb2

from .conftest import MiniRouter, settings_for, start_router
from .fake_upstream import COMPLETION_TOKENS, PROMPT_TOKENS
from .helpers import bearer, generate, greedy_request, sampled_request
from .redis_proc import RedisProcess


def _lookups(cache: str, result: str) -> float:
    return REGISTRY.get_sample_value("helixflow_cache_lookups_total", {"cache": cache, "result": result}) or 0.0


@pytest.fixture(params=["redis", "memory"])
async def replicas(
    request: pytest.FixtureRequest,
    redis_proc: RedisProcess,
    router_factory: list[MiniRouter],
    tmp_path: object,
) -> list[MiniRouter]:
    if request.param == "redis":
        client = aioredis.Redis.from_url(redis_proc.url)
        await client.flushall()
        await client.aclose()
        for _ in range(2):
            router_factory.append(await start_router(settings_for(redis_proc.url, response_cache_enabled=True)))
    else:
        router = await start_router(
            settings_for(None, key_db_path=f"{tmp_path}/keys.sqlite3", response_cache_enabled=True)
        )
        router_factory.extend([router, router])
    return router_factory


async def _secret(router: MiniRouter, **limits: int) -> tuple[str, str]:
    template = KeyRecord(key_id="", name="c", secret_sha256="", display_prefix="", **limits)  # type: ignore[arg-type]
    record, secret = await router.access.keys.create(template)
    return record.key_id, secret


async def test_cache_hit_replays_identical_stream_and_counts(replicas: list[MiniRouter]) -> None:
    a, b = replicas[0], replicas[-1]
    per_call = PROMPT_TOKENS + COMPLETION_TOKENS
    key_id, secret = await _secret(a, tpm=per_call * 3)
    hits = _lookups("response", "hit")
    first = await generate(a, secret, greedy_request())
    second = await generate(b, secret, greedy_request())
    assert isinstance(first, list)
    assert first == second
    assert a.inference.upstream_calls + (b.inference.upstream_calls if b is not a else 0) == 1
    assert _lookups("response", "hit") == hits + 1
    # A replay names its priority class in the headers, like a worker's reply (a key at NORMAL).
    replay = b.stub.Generate(greedy_request(), metadata=bearer(secret))
    assert [m async for m in replay] == first
    assert dict(await replay.initial_metadata())[PRIORITY_KEY] == "normal"
    # The cached answers were charged like fresh ones: a TPM of three calls is now used up.
    third = await generate(a, secret, greedy_request())
    assert not isinstance(third, list)
    usage = await a.access.admin.GetUsage(admin_pb2.GetUsageRequest(key_id=key_id), None)  # type: ignore[arg-type]
    assert usage.usage[0].completion_tokens == 3 * COMPLETION_TOKENS


async def test_bypass_and_sampling_skip_the_cache(replicas: list[MiniRouter]) -> None:
    a = replicas[0]
    _, secret = await _secret(a)
    bypass = greedy_request()
    bypass.cache_bypass = True
    for request in (bypass, bypass, sampled_request(), sampled_request()):
        assert isinstance(await generate(a, secret, request), list)
    assert a.inference.upstream_calls == 4


async def test_embedding_cache_per_input(replicas: list[MiniRouter]) -> None:
    a, b = replicas[0], replicas[-1]
    _, secret = await _secret(a)
    hits = _lookups("embedding", "hit")
    first = await a.stub.Embed(
        inference_pb2.EmbedRequest(model="e5", inputs=["alpha", "beta"]), metadata=bearer(secret)
    )
    second = await b.stub.Embed(
        inference_pb2.EmbedRequest(model="e5", inputs=["beta", "gamma", "alpha"]), metadata=bearer(secret)
    )
    assert [list(e.values) for e in second.embeddings] == [[4.0, 0.5], [5.0, 0.5], [5.0, 0.5]]
    assert list(first.embeddings[1].values) == list(second.embeddings[0].values)
    assert _lookups("embedding", "hit") == hits + 2
    assert second.usage.prompt_tokens == 6


def test_cache_key_ignores_per_call_fields() -> None:
    one = greedy_request()
    two = greedy_request()
    two.request_id, two.user = "r-2", "someone"
    assert cache_key(one, "m") == cache_key(two, "m")
    assert cache_key(one, "m") != cache_key(one, "other")
    seeded = sampled_request()
    assert not is_deterministic(seeded)
    seeded.sampling.CopyFrom(common_pb2.SamplingParams(seed=7, temperature=0.8))
    assert is_deterministic(seeded)


async def test_redis_cache_is_bounded(redis_proc: RedisProcess) -> None:
    from helixflow.router.access.cache.store import RedisBlobStore

    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    store = RedisBlobStore(client, "test:index", max_entries=3)
    for i in range(5):
        await store.set(f"test:{i}", f"v{i}".encode(), ttl_s=60)
    assert [await store.get(f"test:{i}") for i in range(5)] == [None, None, b"v2", b"v3", b"v4"]
    assert await store.get_many([f"test:{i}" for i in range(5)]) == [None, None, b"v2", b"v3", b"v4"]
    assert await client.zcard("test:index") == 3
    await client.aclose()
