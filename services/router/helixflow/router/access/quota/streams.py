"""Concurrent Generate streams per key: a counter with a cap, shared through Redis."""

from __future__ import annotations

from typing import Protocol

import redis.asyncio as aioredis

# The TTL only cleans up after a replica that died holding slots; live streams refresh it.
_ACQUIRE_LUA = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 3600)
return 1
"""

_RELEASE_LUA = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n <= 1 then redis.call('DEL', KEYS[1]) else redis.call('DECR', KEYS[1]) end
return 0
"""


class StreamSlots(Protocol):
    async def acquire(self, subject: str, limit: int) -> bool: ...
    async def release(self, subject: str) -> None: ...


class RedisStreamSlots:
    def __init__(self, client: aioredis.Redis) -> None:
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._release = client.register_script(_RELEASE_LUA)

    async def acquire(self, subject: str, limit: int) -> bool:
        return bool(await self._acquire(keys=[f"hf:streams:{subject}"], args=[limit]))

    async def release(self, subject: str) -> None:
        await self._release(keys=[f"hf:streams:{subject}"], args=[])


class MemoryStreamSlots:
    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    async def acquire(self, subject: str, limit: int) -> bool:
        if self._open.get(subject, 0) >= limit:
            return False
        self._open[subject] = self._open.get(subject, 0) + 1
        return True

    async def release(self, subject: str) -> None:
        left = self._open.get(subject, 0) - 1
        if left <= 0:
            self._open.pop(subject, None)
        else:
            self._open[subject] = left
