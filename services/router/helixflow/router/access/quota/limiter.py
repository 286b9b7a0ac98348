"""Rate limits with GCRA (generic cell rate algorithm).

Each limit keeps one number per key, its "theoretical arrival time" (TAT).
A limit of L per minute has an emission interval T = 60 s / L and a burst of
a full minute, so L requests fit at once and then one every T. A request of
cost c is admitted when ``max(TAT, now) + c*T - 60 s <= now``; then TAT moves
by c*T. In Redis both limits are checked and charged in one Lua script with
Redis' own clock, so every replica sees one exact counter.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

WINDOW_MS = 60_000

_ADMIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2])}
local costs = {1, tonumber(ARGV[3])}
local new_tats = {}
for i = 1, 2 do
  if limits[i] > 0 then
    local interval = 60000 / limits[i]
    local tat = tonumber(redis.call('GET', KEYS[i]) or now)
    if tat < now then tat = now end
    local new_tat = tat + costs[i] * interval
    local allow_at = new_tat - 60000
    if allow_at > now then
      return {i, tostring(allow_at - now)}
    end
    new_tats[i] = new_tat
  end
end
for i = 1, 2 do
  if new_tats[i] then
    redis.call('SET', KEYS[i], tostring(new_tats[i]), 'PX', math.ceil(new_tats[i] - now) + 1000)
  end
end
return {0, '0'}
"""

# Charge (or refund, when negative) tokens after the fact; never refuses.
_ADJUST_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = 60000 / tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
tat = tat + tonumber(ARGV[2]) * interval
if tat <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], tostring(tat), 'PX', math.ceil(tat - now) + 1000)
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Decision:
    """``limit`` is None when admitted, else "rpm" or "tpm" with the wait in seconds."""

    limit: str | None = None
    retry_after_s: float = 0.0

    @property
    def admitted(self) -> bool:
        return self.limit is None


ADMITTED = Decision()


class RateLimiter(Protocol):
    async def admit(self, subject: str, rpm: int | None, tpm: int | None, tokens: int) -> Decision: ...
    async def adjust_tokens(self, subject: str, tpm: int | None, tokens: int) -> None: ...


def _decision(which: int, wait_ms: float) -> Decision:
    if which == 0:
        return ADMITTED
    return Decision(limit="rpm" if which == 1 else "tpm", retry_after_s=max(wait_ms, 1.0) / 1000)


class RedisRateLimiter:
    def __init__(self, client: aioredis.Redis) -> None:
        self._admit = client.register_script(_ADMIT_LUA)
        self._adjust = client.register_script(_ADJUST_LUA)

    async def admit(self, subject: str, rpm: int | None, tpm: int | None, tokens: int) -> Decision:
        if not rpm and not tpm:
            return ADMITTED
        keys = [f"hf:rl:rpm:{subject}", f"hf:rl:tpm:{subject}"]
        which, wait = await self._admit(keys=keys, args=[rpm or 0, tpm or 0, max(tokens, 0)])
        return _decision(int(which), float(wait))

    async def adjust_tokens(self, subject: str, tpm: int | None, tokens: int) -> None:
        if tpm and tokens:
            await self._adjust(keys=[f"hf:rl:tpm:{subject}"], args=[tpm, tokens])


class MemoryRateLimiter:
    """The same GCRA for one process. No awaits between read and write, so it is atomic."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}

    @staticmethod
    def _now_ms() -> float:
        return time.monotonic() * 1000

    def _check(self, key: str, limit: int, cost: int, now: float) -> tuple[float, float]:
        interval = WINDOW_MS / limit
        new_tat = max(self._tat.get(key, now), now) + cost * interval
        return new_tat, new_tat - WINDOW_MS - now

    async def admit(self, subject: str, rpm: int | None, tpm: int | None, tokens: int) -> Decision:
        now = self._now_ms()
        updates: dict[str, float] = {}
        for index, (name, limit, cost) in enumerate((("rpm", rpm, 1), ("tpm", tpm, max(tokens, 0))), 1):
            if not limit:
                continue
            new_tat, wait = self._check(f"{name}:{subject}", limit, cost, now)
            if wait > 0:
                return _decision(index, wait)
            updates[f"{name}:{subject}"] = new_tat
        self._tat.update(updates)
        await asyncio.sleep(0)
        return ADMITTED

    async def adjust_tokens(self, subject: str, tpm: int | None, tokens: int) -> None:
        if tpm and tokens:
            key = f"tpm:{subject}"
            now = self._now_ms()
            self._tat[key] = max(max(self._tat.get(key, now), now) + tokens * WINDOW_MS / tpm, now)
