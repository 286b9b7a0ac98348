"""The stored-response stores: SQLite (TTL, size bound, survives a reopen) and Redis (real
redis-server), each showing a record only to its owner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.datastructures import Headers

from helixflow.common.errors import Internal
from helixflow.rest_bridge.responses_store import (
    RedisResponseStore,
    ResponseStore,
    SqliteResponseStore,
    StoredResponse,
    owner_of,
)
from tests.router.auth.redis_proc import RedisProcess, free_port


def record(rid: str, owner: str = "alice", age_s: float = 0.0) -> StoredResponse:
    output = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": rid}]}]
    response = {"id": rid, "object": "response", "output": output}
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    return StoredResponse(rid, owner, time.time() - age_s, response, items, context=[])


@pytest.fixture(scope="module")
def redis_proc() -> Iterator[RedisProcess]:
    proc = RedisProcess()
    yield proc
    proc.kill()


async def _owner_only(store: ResponseStore) -> None:
    await store.put(record("resp_1"))
    got = await store.get("resp_1", "alice")
    assert got is not None
    assert got.conversation() == [*got.input_items, *got.response["output"]]
    assert await store.get("resp_1", "bob") is None
    assert await store.delete("resp_1", "bob") is False
    assert await store.get("resp_1", "alice") is not None
    assert await store.delete("resp_1", "alice") is True
    assert await store.get("resp_1", "alice") is None


async def test_sqlite_owner_only_ttl_bound_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    store = SqliteResponseStore(path, ttl_s=3600, max_entries=2)
    await _owner_only(store)
    await store.put(record("resp_old", age_s=7200))  # older than the TTL: never served
    assert await store.get("resp_old", "alice") is None
    for rid in ("resp_a", "resp_b", "resp_c"):
        await store.put(record(rid))
    assert await store.get("resp_a", "alice") is None  # past max_entries, the oldest went
    await store.close()
    reopened = SqliteResponseStore(path, ttl_s=3600, max_entries=2)
    kept = await reopened.get("resp_c", "alice")
    assert kept is not None
    assert kept.response["output"][0]["content"][0]["text"] == "resp_c"
    assert await reopened.get("resp_b", "alice") is not None
    await reopened.close()


async def test_redis_owner_only_and_expiry(redis_proc: RedisProcess) -> None:
    store = RedisResponseStore(redis_proc.url, ttl_s=3600)
    await _owner_only(store)
    await store.put(record("resp_ttl"))
    ttl_ms = await store._redis.pttl(RedisResponseStore.PREFIX + "resp_ttl")
    assert 0 < ttl_ms <= 3600 * 1000
    other = RedisResponseStore(redis_proc.url, ttl_s=3600)  # another replica's client
    assert await other.get("resp_ttl", "alice") is not None
    await store.close()
    await other.close()


def test_owner_is_a_hash_of_the_key_whichever_header_carries_it() -> None:
    bearer = owner_of(Headers({"authorization": "Bearer k1"}))
    assert bearer == owner_of(Headers({"x-api-key": "k1"}))
    assert bearer != owner_of(Headers({"authorization": "Bearer k2"}))
    assert bearer != owner_of(Headers({}))
    assert "k1" not in bearer


async def test_an_unreachable_store_is_a_domain_error(tmp_path: Path) -> None:
    down = RedisResponseStore(f"redis://127.0.0.1:{free_port()}/0", ttl_s=60)
    with pytest.raises(Internal, match="response store failed"):
        await down.put(record("resp_x"))
    with pytest.raises(Internal):
        await down.get("resp_x", "alice")
    await down.close()
    unwritable = SqliteResponseStore(tmp_path / "file" / "r.sqlite3", ttl_s=60, max_entries=5)
    (tmp_path / "file").write_text("a file where the directory should be")
    with pytest.raises(Internal):
        await unwritable.get("resp_x", "alice")


async def test_sqlite_creates_nothing_until_used(tmp_path: Path) -> None:
    store = SqliteResponseStore(tmp_path / "lazy" / "r.sqlite3", ttl_s=60, max_entries=5)
    await store.close()
    assert not (tmp_path / "lazy").exists()
