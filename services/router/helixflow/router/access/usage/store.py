"""Running usage totals per key, in Redis (shared) or memory, also exported as metrics."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from prometheus_client import Counter

from helixflow.router.access.state import REDIS_DOWN, STATE_ERRORS

log = logging.getLogger(__name__)

REQUESTS = Counter("helixflow_key_requests_total", "Requests admitted, per key.", ["key"])
TOKENS = Counter("helixflow_key_tokens_total", "Tokens charged, per key and kind.", ["key", "kind"])
COST = Counter("helixflow_key_cost_usd_total", "Cost charged, per key (and project:<id>), in US dollars.", ["key"])


@dataclass(frozen=True, slots=True)
class Usage:
    subject: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_nanos: int = 0


class UsageStore(Protocol):
    async def add(self, subject: str, requests: int, prompt: int, completion: int, cost: int = 0) -> None: ...
    async def get(self, subject: str) -> Usage: ...


class RedisUsage:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def add(self, subject: str, requests: int, prompt: int, completion: int, cost: int = 0) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            key = f"hf:usage:{subject}"
            pipe.hincrby(key, "requests", requests)
            pipe.hincrby(key, "prompt_tokens", prompt)
            pipe.hincrby(key, "completion_tokens", completion)
            if cost:
                pipe.hincrby(key, "cost_nanos", cost)
            await pipe.execute()

    async def get(self, subject: str) -> Usage:
        raw = await self._redis.hgetall(f"hf:usage:{subject}")
        values = {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}
        return Usage(subject, **values)


class MemoryUsage:
    def __init__(self) -> None:
        self._totals: dict[str, Usage] = {}

    async def add(self, subject: str, requests: int, prompt: int, completion: int, cost: int = 0) -> None:
        old = self._totals.get(subject, Usage(subject))
        self._totals[subject] = Usage(
            subject,
            old.requests + requests,
            old.prompt_tokens + prompt,
            old.completion_tokens + completion,
            old.cost_nanos + cost,
        )

    async def get(self, subject: str) -> Usage:
        return self._totals.get(subject, Usage(subject))


class UsageRecorder:
    """Records usage; a dead Redis loses the record (logged, counted), never the request."""

    def __init__(self, store: UsageStore) -> None:
        self.store = store

    async def record(
        self, subject: str, *, requests: int = 0, prompt: int = 0, completion: int = 0, cost: int = 0
    ) -> None:
        REQUESTS.labels(key=subject).inc(requests)
        TOKENS.labels(key=subject, kind="prompt").inc(prompt)
        TOKENS.labels(key=subject, kind="completion").inc(completion)
        if cost:
            COST.labels(key=subject).inc(cost / 1e9)
        try:
            await self.store.add(subject, requests, prompt, completion, cost)
        except REDIS_DOWN as exc:
            STATE_ERRORS.labels(component="usage", outcome="lost").inc()
            log.warning("usage store unreachable (%s); record for %s lost", type(exc).__name__, subject)
