"""Shared-state plumbing: the Redis client, and the error and metric for when it is unreachable."""

from __future__ import annotations

import grpc
import redis.asyncio as aioredis
from prometheus_client import Counter

from helixflow.common.errors import HelixError
from helixflow.v1 import common_pb2

BACKEND_ERRORS = Counter(
    "helixflow_state_backend_errors_total",
    "Failed calls to the shared state backend (Redis), by component and what was done about it.",
    ["component", "outcome"],
)

# What a Redis that cannot be reached looks like from redis-py.
REDIS_DOWN = (aioredis.ConnectionError, aioredis.TimeoutError, OSError)


class BackendUnavailable(HelixError):
    """The shared state store cannot be reached and the policy is to refuse (fail closed)."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_INTERNAL


def redis_client(url: str) -> aioredis.Redis:
    # Short timeouts: a dead Redis must turn into a quick decision, not a hung request.
    return aioredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
