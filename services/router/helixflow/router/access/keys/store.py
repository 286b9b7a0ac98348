"""Key stores. Every lookup reads the store, so a revocation is seen by every
replica on its next request (no local cache to invalidate)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Protocol

import redis.asyncio as aioredis

from helixflow.router.access.keys.record import KeyRecord


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class KeyStore(Protocol):
    async def put(self, record: KeyRecord) -> None: ...
    async def get(self, key_id: str) -> KeyRecord | None: ...
    async def find_by_hash(self, secret_sha256: str) -> KeyRecord | None: ...
    async def list(self) -> list[KeyRecord]: ...


class RedisKeyStore:
    """``hf:key:<id>`` holds the record as JSON; ``hf:keyhash:<sha256>`` maps to the id."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def put(self, record: KeyRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"hf:key:{record.key_id}", record.to_json())
            pipe.set(f"hf:keyhash:{record.secret_sha256}", record.key_id)
            pipe.zadd("hf:keys", {record.key_id: record.created_at})
            await pipe.execute()

    async def get(self, key_id: str) -> KeyRecord | None:
        raw = await self._redis.get(f"hf:key:{key_id}")
        return None if raw is None else KeyRecord.from_json(raw)

    async def find_by_hash(self, secret_sha256: str) -> KeyRecord | None:
        key_id = await self._redis.get(f"hf:keyhash:{secret_sha256}")
        if key_id is None:
            return None
        return await self.get(_text(key_id))

    async def list(self) -> list[KeyRecord]:
        ids = await self._redis.zrange("hf:keys", 0, -1)
        if not ids:
            return []
        raws = await self._redis.mget([f"hf:key:{_text(i)}" for i in ids])
        return [KeyRecord.from_json(raw) for raw in raws if raw is not None]


class SqliteKeyStore:
    """Embedded store for a single router without Redis. Calls run in a thread."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()
        self._ready = False

    def _ensure_table(self, db: sqlite3.Connection) -> None:
        # Created on first use, so a router that never sees a key leaves no file behind.
        if not self._ready:
            db.execute(
                "CREATE TABLE IF NOT EXISTS api_keys ("
                " key_id TEXT PRIMARY KEY, secret_sha256 TEXT UNIQUE NOT NULL,"
                " created_at REAL NOT NULL, record TEXT NOT NULL)"
            )
            self._ready = True

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path)

    async def _run(self, sql: str, args: tuple[object, ...]) -> list[tuple[str]]:
        def work() -> list[tuple[str]]:
            db = self._connect()
            try:
                self._ensure_table(db)
                with db:
                    return list(db.execute(sql, args).fetchall())
            finally:
                db.close()

        async with self._lock:
            return await asyncio.to_thread(work)

    async def put(self, record: KeyRecord) -> None:
        await self._run(
            "INSERT OR REPLACE INTO api_keys VALUES (?, ?, ?, ?)",
            (record.key_id, record.secret_sha256, record.created_at, record.to_json()),
        )

    async def get(self, key_id: str) -> KeyRecord | None:
        rows = await self._run("SELECT record FROM api_keys WHERE key_id = ?", (key_id,))
        return KeyRecord.from_json(rows[0][0]) if rows else None

    async def find_by_hash(self, secret_sha256: str) -> KeyRecord | None:
        rows = await self._run("SELECT record FROM api_keys WHERE secret_sha256 = ?", (secret_sha256,))
        return KeyRecord.from_json(rows[0][0]) if rows else None

    async def list(self) -> list[KeyRecord]:
        rows = await self._run("SELECT record FROM api_keys ORDER BY created_at", ())
        return [KeyRecord.from_json(row[0]) for row in rows]
