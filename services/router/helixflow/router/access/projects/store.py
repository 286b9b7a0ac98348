"""Project records and their stores: Redis (shared) or a table in the SQLite key file."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
import time
from contextlib import closing as contextlib_closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import redis.asyncio as aioredis


def new_project_id() -> str:
    return "prj_" + secrets.token_hex(8)


@dataclass(slots=True)
class ProjectRecord:
    """A project's shared limits (None = unlimited, empty models = every model)."""

    project_id: str
    name: str
    models: list[str] = field(default_factory=list)
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: str = "month"
    created_at: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> ProjectRecord:
        return cls(**json.loads(raw))


class ProjectStore(Protocol):
    async def put(self, record: ProjectRecord) -> None: ...
    async def get(self, project_id: str) -> ProjectRecord | None: ...
    async def list(self) -> list[ProjectRecord]: ...
    async def delete(self, project_id: str) -> bool: ...


class RedisProjectStore:
    """``hf:project:<id>`` holds the record as JSON; ``hf:projects`` orders the ids by creation."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def put(self, record: ProjectRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"hf:project:{record.project_id}", record.to_json())
            pipe.zadd("hf:projects", {record.project_id: record.created_at})
            await pipe.execute()

    async def get(self, project_id: str) -> ProjectRecord | None:
        raw = await self._redis.get(f"hf:project:{project_id}")
        return None if raw is None else ProjectRecord.from_json(raw)

    async def list(self) -> list[ProjectRecord]:
        ids = await self._redis.zrange("hf:projects", 0, -1)
        if not ids:
            return []
        raws = await self._redis.mget([f"hf:project:{i.decode() if isinstance(i, bytes) else i}" for i in ids])
        return [ProjectRecord.from_json(raw) for raw in raws if raw is not None]

    async def delete(self, project_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"hf:project:{project_id}")
            pipe.zrem("hf:projects", project_id)
            removed, _ = await pipe.execute()
        return bool(removed)


class SqliteProjectStore:
    """A ``projects`` table next to the keys in the router's SQLite file (no Redis)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = asyncio.Lock()

    async def _rows(self, sql: str, args: tuple[object, ...]) -> tuple[list[tuple[str]], int]:
        def work() -> tuple[list[tuple[str]], int]:
            with contextlib_closing(sqlite3.connect(self._path)) as db, db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS projects"
                    " (project_id TEXT PRIMARY KEY, created_at REAL NOT NULL, record TEXT NOT NULL)"
                )
                cursor = db.execute(sql, args)
                return list(cursor.fetchall()), cursor.rowcount

        async with self._lock:
            return await asyncio.to_thread(work)

    async def put(self, record: ProjectRecord) -> None:
        await self._rows(
            "INSERT OR REPLACE INTO projects VALUES (?, ?, ?)", (record.project_id, record.created_at, record.to_json())
        )

    async def get(self, project_id: str) -> ProjectRecord | None:
        rows, _ = await self._rows("SELECT record FROM projects WHERE project_id = ?", (project_id,))
        return ProjectRecord.from_json(rows[0][0]) if rows else None

    async def list(self) -> list[ProjectRecord]:
        rows, _ = await self._rows("SELECT record FROM projects ORDER BY created_at", ())
        return [ProjectRecord.from_json(row[0]) for row in rows]

    async def delete(self, project_id: str) -> bool:
        _, count = await self._rows("DELETE FROM projects WHERE project_id = ?", (project_id,))
        return count > 0
