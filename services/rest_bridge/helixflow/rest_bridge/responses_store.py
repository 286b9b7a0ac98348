"""Stored responses of /v1/responses: Redis (shared by every bridge replica) or a local SQLite file.

A record is visible only to the key that created it: ``owner`` is a hash of the
caller's credential, and a lookup under another owner finds nothing (the API
answers 404, as for an id that never existed). Records expire after a TTL; the
SQLite store also keeps at most ``max_entries`` (the oldest go first).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
import redis
import redis.asyncio as aioredis
from starlette.datastructures import Headers

from helixflow.common.errors import Internal
from helixflow.rest_bridge.config import BridgeSettings


@contextlib.contextmanager
def _storage_errors() -> Iterator[None]:
    """A store that fails is the bridge's error (500, or response.failed mid-stream), never a crash."""
    try:
        yield
    except (redis.RedisError, sqlite3.Error, OSError) as exc:
        raise Internal(f"the response store failed: {exc}") from exc


def owner_of(headers: Headers) -> str:
    """A hash of the caller's key (Bearer or x-api-key); the empty key when auth is off."""
    auth = headers.get("authorization") or ""
    key = auth[7:] if auth.lower().startswith("bearer ") else auth
    key = key or headers.get("x-api-key") or ""
    return hashlib.sha256(b"helixflow-response-owner:" + key.encode()).hexdigest()


@dataclass(frozen=True)
class StoredResponse:
    """One response: its API object, this request's input items, and the conversation before them."""

    id: str
    owner: str
    created_at: float
    response: dict[str, Any]
    input_items: list[dict[str, Any]]
    context: list[dict[str, Any]]

    def conversation(self) -> list[dict[str, Any]]:
        """What a follow-up with previous_response_id continues from: context, input, output."""
        return [*self.context, *self.input_items, *self.response.get("output", [])]

    def dumps(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "owner": self.owner,
                "created_at": self.created_at,
                "response": self.response,
                "input_items": self.input_items,
                "context": self.context,
            }
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> StoredResponse:
        data = orjson.loads(raw)
        return cls(
            data["id"], data["owner"], data["created_at"], data["response"], data["input_items"], data["context"]
        )


class ResponseStore(Protocol):
    async def put(self, record: StoredResponse) -> None: ...

    async def get(self, response_id: str, owner: str) -> StoredResponse | None: ...

    async def delete(self, response_id: str, owner: str) -> bool: ...

    async def close(self) -> None: ...


class SqliteResponseStore:
    """A file that survives a restart; calls run in a thread so the event loop never blocks on disk."""

    def __init__(self, path: Path, ttl_s: float, max_entries: int) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._lock = asyncio.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        """Opened on first use (in the worker thread): a bridge nobody asks to store creates no file."""
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS responses (id TEXT PRIMARY KEY, owner TEXT NOT NULL,"
                " created_at REAL NOT NULL, record BLOB NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS responses_created ON responses (created_at)")
            self._conn = db
        return self._conn

    async def _run(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        async with self._lock:
            with _storage_errors():
                return await asyncio.to_thread(lambda: self._db().execute(sql, args).fetchall())

    async def put(self, record: StoredResponse) -> None:
        def write() -> None:
            db = self._db()
            with db:  # one transaction: insert, expire, trim
                db.execute("BEGIN")
                db.execute(
                    "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)",
                    (record.id, record.owner, record.created_at, record.dumps()),
                )
                db.execute("DELETE FROM responses WHERE created_at < ?", (time.time() - self.ttl_s,))
                db.execute(
                    "DELETE FROM responses WHERE id IN (SELECT id FROM responses ORDER BY created_at DESC"
                    " LIMIT -1 OFFSET ?)",
                    (self.max_entries,),
                )

        async with self._lock:
            with _storage_errors():
                await asyncio.to_thread(write)

    async def get(self, response_id: str, owner: str) -> StoredResponse | None:
        rows = await self._run(
            "SELECT record FROM responses WHERE id = ? AND owner = ? AND created_at >= ?",
            (response_id, owner, time.time() - self.ttl_s),
        )
        return StoredResponse.loads(rows[0][0]) if rows else None

    async def delete(self, response_id: str, owner: str) -> bool:
        def remove() -> int:
            return self._db().execute("DELETE FROM responses WHERE id = ? AND owner = ?", (response_id, owner)).rowcount

        async with self._lock:
            with _storage_errors():
                return bool(await asyncio.to_thread(remove))

    async def close(self) -> None:
        async with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class RedisResponseStore:
    """One key per response with the TTL as its expiry; any replica reads what another wrote."""

    PREFIX = "helixflow:response:"

    def __init__(self, url: str, ttl_s: float) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self.ttl_s = ttl_s

    async def put(self, record: StoredResponse) -> None:
        with _storage_errors():
            await self._redis.set(self.PREFIX + record.id, record.dumps(), px=int(self.ttl_s * 1000))

    async def get(self, response_id: str, owner: str) -> StoredResponse | None:
        with _storage_errors():
            raw = await self._redis.get(self.PREFIX + response_id)
        if raw is None:
            return None
        record = StoredResponse.loads(raw)
        return record if record.owner == owner else None

    async def delete(self, response_id: str, owner: str) -> bool:
        if await self.get(response_id, owner) is None:
            return False
        with _storage_errors():
            return bool(await self._redis.delete(self.PREFIX + response_id))

    async def close(self) -> None:
        await self._redis.aclose()


def open_store(settings: BridgeSettings) -> ResponseStore:
    if settings.redis_url:
        return RedisResponseStore(settings.redis_url, settings.responses_ttl_s)
    return SqliteResponseStore(settings.responses_db_path, settings.responses_ttl_s, settings.responses_max_entries)
