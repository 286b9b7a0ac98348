"""Time-bucketed usage per (key, model): requests, tokens, errors by status, TTFT.

The router records every finished request into fixed ``STEP_S`` buckets, in Redis
(shared by every replica, kept ``RETENTION_S``) or in memory (one process). Reads
merge fixed buckets into the caller's step.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

# Recording resolution; a query's step is rounded up to a multiple of it.
STEP_S = 10
# How long buckets live (Redis TTL; the memory store prunes older ones).
RETENTION_S = 7 * 24 * 3600
# Most recording buckets one query may read (a day at 10 s).
MAX_BUCKETS = 8640
_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class Finished:
    """One finished request, as usage and the live request list see it (never the prompt)."""

    request_id: str
    subject: str
    method: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    status: str
    latency_s: float
    ttft_s: float | None
    finished_at: float
    # What it cost, in nano-dollars (helixflow.router.access.pricing).
    cost_nanos: int = 0


@dataclass(slots=True)
class Bucket:
    start: int
    subject: str
    model: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    ttft_ms_sum: float = 0.0
    ttft_count: int = 0
    cost_nanos: int = 0

    def add_fields(self, values: dict[str, float]) -> None:
        for name, value in values.items():
            if name.startswith("err:"):
                code = name.removeprefix("err:")
                self.errors[code] = self.errors.get(code, 0) + int(value)
            elif name == "ttft_ms_sum":
                self.ttft_ms_sum += value
            else:
                setattr(self, name, getattr(self, name) + int(value))


def bucket_fields(item: Finished) -> dict[str, float]:
    values: dict[str, float] = {
        "requests": 1,
        "prompt_tokens": item.prompt_tokens,
        "completion_tokens": item.completion_tokens,
    }
    if item.cost_nanos:
        values["cost_nanos"] = item.cost_nanos
    if item.status != "OK":
        values[f"err:{item.status}"] = 1
    if item.ttft_s is not None:
        values["ttft_ms_sum"] = item.ttft_s * 1000.0
        values["ttft_count"] = 1
    return values


def bucket_start(t: float) -> int:
    return int(t) // STEP_S * STEP_S


def merge(raw: Iterable[Bucket], start: int, step_s: int) -> list[Bucket]:
    """Fold recording buckets into buckets of ``step_s`` counted from ``start``."""
    out: dict[tuple[int, str, str], Bucket] = {}
    for b in raw:
        at = start + (b.start - start) // step_s * step_s
        merged = out.setdefault((at, b.subject, b.model), Bucket(at, b.subject, b.model))
        merged.requests += b.requests
        merged.prompt_tokens += b.prompt_tokens
        merged.completion_tokens += b.completion_tokens
        merged.ttft_ms_sum += b.ttft_ms_sum
        merged.ttft_count += b.ttft_count
        merged.cost_nanos += b.cost_nanos
        for code, n in b.errors.items():
            merged.errors[code] = merged.errors.get(code, 0) + n
    return sorted(out.values(), key=lambda b: (b.start, b.subject, b.model))


def round_step(step_s: float) -> int:
    return max(STEP_S, -(-int(step_s) // STEP_S) * STEP_S)


class BucketStore(Protocol):
    async def add(self, item: Finished) -> None: ...
    async def read(self, start: int, end: int) -> list[Bucket]: ...


class MemoryBuckets:
    def __init__(self) -> None:
        self._buckets: dict[tuple[int, str, str], Bucket] = {}

    async def add(self, item: Finished) -> None:
        at = bucket_start(item.finished_at)
        key = (at, item.subject, item.model)
        self._buckets.setdefault(key, Bucket(at, item.subject, item.model)).add_fields(bucket_fields(item))
        oldest = bucket_start(time.time() - RETENTION_S)
        if len(self._buckets) > 10_000:
            self._buckets = {k: v for k, v in self._buckets.items() if k[0] >= oldest}

    async def read(self, start: int, end: int) -> list[Bucket]:
        return [b for (at, _, _), b in self._buckets.items() if start <= at < end]


class RedisBuckets:
    """One hash per recording bucket: field ``subject␟model␟name`` -> count."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def add(self, item: Finished) -> None:
        key = f"hf:ub:{bucket_start(item.finished_at)}"
        prefix = f"{item.subject}{_SEP}{item.model}{_SEP}"
        async with self._redis.pipeline(transaction=True) as pipe:
            for name, value in bucket_fields(item).items():
                if name == "ttft_ms_sum":
                    pipe.hincrbyfloat(key, prefix + name, value)
                else:
                    pipe.hincrby(key, prefix + name, int(value))
            pipe.expire(key, RETENTION_S)
            await pipe.execute()

    async def read(self, start: int, end: int) -> list[Bucket]:
        starts = list(range(bucket_start(start), end, STEP_S))
        async with self._redis.pipeline(transaction=False) as pipe:
            for at in starts:
                pipe.hgetall(f"hf:ub:{at}")
            replies = await pipe.execute()
        out: list[Bucket] = []
        for at, raw in zip(starts, replies, strict=True):
            grouped: dict[tuple[str, str], dict[str, float]] = {}
            for k, v in raw.items():
                name = k.decode() if isinstance(k, bytes) else str(k)
                subject, model, what = name.split(_SEP, 2)
                grouped.setdefault((subject, model), {})[what] = float(v)
            for (subject, model), values in grouped.items():
                bucket = Bucket(at, subject, model)
                bucket.add_fields(values)
                out.append(bucket)
        return out
