"""Spend budgets per period, exact across router replicas.

A budget counter holds the nano-dollars spent in one period plus those reserved by
requests in flight. Admission reserves the most the request may cost (its prompt at
the prompt price plus ``max_tokens`` completion tokens, ``helixflow.router.access.pricing``)
on every budget that applies (the key's and its project's) in one Lua script: all of
them have room, or none is charged. Settlement moves each counter by the actual cost
minus the reservation. So concurrent requests, on any replica, can never together
reserve beyond the budget; a request's actual cost may exceed its reservation only
by the error of the prompt estimate (prompt tokens are estimated from the text's
length before the worker tokenized it) or, for a request without ``max_tokens``, by
completion tokens past ``budget_reserve_max_tokens``; that excess is charged too.

Periods are UTC calendar days or months, or fixed windows of N seconds since the epoch
("3600s"). A counter lives until its period ends (plus a day), so old periods clean up.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

from helixflow.common.errors import InvalidArgument

_DAY = 86_400

# KEYS: counters. ARGV[1]: amount; ARGV[2i], ARGV[2i+1]: limit and TTL of KEYS[i].
# Returns 0 when every counter had room (and all were charged), else the index that had none.
_RESERVE_LUA = """
local amount = tonumber(ARGV[1])
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used + amount > tonumber(ARGV[2 * i]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], amount)
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i + 1])
end
return 0
"""

# Move every counter by ARGV[1] (the actual cost minus the reservation), keeping its TTL.
_SETTLE_LUA = """
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[1])
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[2]) end
end
return 0
"""


def check_period(period: str) -> str:
    """The period as stored ("" means "month"); INVALID_ARGUMENT for anything else."""
    if period in ("", "day", "month"):
        return period or "month"
    if period.endswith("s") and period[:-1].isdigit() and int(period[:-1]) > 0:
        return period
    raise InvalidArgument(
        f'budget_period {period!r}: use "day", "month" or a number of seconds like "3600s"', field="budget_period"
    )


def window(period: str, now: float) -> tuple[int, int]:
    """(start, end) in epoch seconds of the period containing ``now``."""
    period = check_period(period)
    if period == "day":
        start = int(now) // _DAY * _DAY
        return start, start + _DAY
    if period == "month":
        day = dt.datetime.fromtimestamp(now, dt.UTC)
        start = calendar.timegm((day.year, day.month, 1, 0, 0, 0))
        days = calendar.monthrange(day.year, day.month)[1]
        return start, start + days * _DAY
    length = int(period[:-1])
    start = int(now) // length * length
    return start, start + length


@dataclass(frozen=True, slots=True)
class Budget:
    """One budget that applies to a request: who it belongs to ("key:<id>", "project:<id>")."""

    owner: str
    limit_nanos: int
    period: str

    def counter(self, now: float) -> tuple[str, int, int]:
        """(Redis key, TTL seconds, period end) of the current period."""
        start, end = window(self.period, now)
        return f"hf:budget:{self.owner}:{start}", max(1, end - int(now)) + _DAY, end


@dataclass(slots=True)
class Reservation:
    """What admission charged: the counters and the amount (settled back once)."""

    counters: list[str] = field(default_factory=list)
    amount: int = 0


@dataclass(frozen=True, slots=True)
class Refusal:
    budget: Budget
    period_end: int


class BudgetStore(Protocol):
    async def reserve(self, budgets: list[Budget], amount: int, now: float) -> Reservation | Refusal: ...
    async def settle(self, reservation: Reservation, actual: int) -> None: ...
    async def spent(self, budget: Budget, now: float) -> int: ...


class RedisBudgets:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client
        self._reserve = client.register_script(_RESERVE_LUA)
        self._settle = client.register_script(_SETTLE_LUA)

    async def reserve(self, budgets: list[Budget], amount: int, now: float) -> Reservation | Refusal:
        counters = [b.counter(now) for b in budgets]
        args: list[int] = [amount]
        for budget, (_, ttl, _) in zip(budgets, counters, strict=True):
            args += [budget.limit_nanos, ttl]
        which = int(await self._reserve(keys=[c[0] for c in counters], args=args))
        if which:
            return Refusal(budgets[which - 1], counters[which - 1][2])
        return Reservation([c[0] for c in counters], amount)

    async def settle(self, reservation: Reservation, actual: int) -> None:
        delta = actual - reservation.amount
        if reservation.counters and delta:
            await self._settle(keys=reservation.counters, args=[delta, _DAY])

    async def spent(self, budget: Budget, now: float) -> int:
        return int(await self._redis.get(budget.counter(now)[0]) or 0)


class MemoryBudgets:
    """The same for one process: no await between the check and the charge."""

    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    async def reserve(self, budgets: list[Budget], amount: int, now: float) -> Reservation | Refusal:
        counters = [b.counter(now) for b in budgets]
        for budget, (key, _, end) in zip(budgets, counters, strict=True):
            if self._used.get(key, 0) + amount > budget.limit_nanos:
                return Refusal(budget, end)
        for key, _, _ in counters:
            self._used[key] = self._used.get(key, 0) + amount
        return Reservation([c[0] for c in counters], amount)

    async def settle(self, reservation: Reservation, actual: int) -> None:
        for key in reservation.counters:
            self._used[key] = self._used.get(key, 0) + actual - reservation.amount

    async def spent(self, budget: Budget, now: float) -> int:
        return self._used.get(budget.counter(now)[0], 0)
