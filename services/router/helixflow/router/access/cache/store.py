"""Byte stores with a TTL: Redis for every replica, or a bounded LRU in memory."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import redis.asyncio as aioredis


class BlobStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl_s: int) -> None: ...


# Store an entry and keep at most ARGV[3] of them: an index ZSET (score = insertion
# time in ms; ties evict in name order) drops expired names and evicts the oldest beyond the bound.
_SET_BOUNDED_LUA = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ttl)
redis.call('ZADD', KEYS[1], now_ms, KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - ttl * 1000)
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if extra > 0 then
  local old = redis.call('ZRANGE', KEYS[1], 0, extra - 1)
  redis.call('DEL', unpack(old))
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1)
end
return 0
"""


class RedisBlobStore:
    """Entries expire by TTL; at most ``max_entries`` are kept (oldest evicted first)."""

    def __init__(self, client: aioredis.Redis, index_key: str, max_entries: int) -> None:
        self._redis = client
        self._index = index_key
        self._max = max_entries
        self._set = client.register_script(_SET_BOUNDED_LUA)

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(key)
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """One MGET round trip for a whole batch."""
        if not keys:
            return []
        values = await self._redis.mget(list(keys))
        return [v if v is None or isinstance(v, bytes) else str(v).encode() for v in values]

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        await self._set(keys=[self._index, key], args=[value, ttl_s, self._max])


class MemoryBlobStore:
    """LRU bounded by entry count, with per-entry expiry."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] < time.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_s: int) -> None:
        self._items[key] = (time.monotonic() + ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
