"""The shared state store (Redis): its client, and what to do when it cannot be reached.

Keys, quotas, stream slots, usage and caches keep their state here when
``access.redis_url`` is set. Each component decides what a dead store means for it
(refuse, admit, or count a miss); ``refused_when_down`` is the refusal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import grpc
import redis.asyncio as aioredis
from prometheus_client import Counter

from helixflow.common.errors import HelixError
from helixflow.v1 import common_pb2

# The metric keeps its published name.
STATE_ERRORS = Counter(
    "helixflow_state_backend_errors_total",
    "Failed calls to the shared state store (Redis), by component and what was done about it.",
    ["component", "outcome"],
)

# What a Redis that cannot be reached looks like from redis-py.
REDIS_DOWN = (aioredis.ConnectionError, aioredis.TimeoutError, OSError)


class StateUnavailable(HelixError):
    """The shared state store cannot be reached and the policy is to refuse (fail closed)."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = common_pb2.ERROR_REASON_INTERNAL


@contextlib.contextmanager
def refused_when_down(component: str, what: str) -> Iterator[None]:
    """Turn an unreachable store inside the block into UNAVAILABLE that says what failed."""
    try:
        yield
    except REDIS_DOWN:
        STATE_ERRORS.labels(component=component, outcome="refused").inc()
        raise StateUnavailable(
            f"{what}: the shared state store (Redis, access.redis_url) cannot be reached; retry shortly",
            retry_after_s=1.0,
        ) from None


def redis_client(url: str) -> aioredis.Redis:
    # Short timeouts: a dead Redis must turn into a quick decision, not a hung request.
    return aioredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
