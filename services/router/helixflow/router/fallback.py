"""Fallback chains: a model alias names an ordered list of targets (model ids), tried
in turn until one of them sends its first message.

A target that fails before anything reached the client with UNAVAILABLE (no worker,
every worker down), RESOURCE_EXHAUSTED (queues full, an upstream's 429) or
DEADLINE_EXCEEDED (including ``fallback_first_token_s`` passing without a first
message) falls through to the next target, within the client's deadline. Any other
failure, and any failure after the first message, is the client's error as for a
plain model. Each target tried is counted in ``helixflow_router_attempts_total`` and
noted on the call's span as a ``helixflow.fallback`` event.

Scope: a key allowed the alias may use every target of its chain (the alias is what
the operator granted); the targets are not checked against the key one by one.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable

import grpc
from opentelemetry import trace

from helixflow.common.errors import HelixError
from helixflow.router import metrics
from helixflow.router.call import Call
from helixflow.router.upstream import UpstreamError
from helixflow.router.wire import Reply
from helixflow.v1 import inference_pb2

log = logging.getLogger(__name__)

FALLTHROUGH = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
)


def _note(model: str, target: str, outcome: str, attempt: int) -> None:
    metrics.ATTEMPTS.labels(model, target, outcome).inc()
    trace.get_current_span().add_event(
        "helixflow.fallback",
        {
            "helixflow.model": model,
            "helixflow.target": target,
            "helixflow.outcome": outcome,
            "helixflow.attempt": attempt,
        },
    )


async def chain(
    model: str, targets: list[str], call: Call, one: Callable[[str, bool], AsyncGenerator[Reply, None]]
) -> AsyncIterator[Reply]:
    """The replies of the first target that answers; ``one(target, last)`` streams one target."""
    for index, target in enumerate(targets):
        last = index == len(targets) - 1
        sent = False
        try:
            async with contextlib.aclosing(one(target, last)) as replies:
                async for reply in replies:
                    if not sent:
                        sent = True
                        call.target = target
                    yield reply
        except (HelixError, UpstreamError) as err:
            _note(model, target, err.code.name, index + 1)
            if sent or last or err.code not in FALLTHROUGH or call.deadline <= time.monotonic():
                raise
            log.info(
                "%s: target %s failed with %s; falling through to %s", model, target, err.code.name, targets[index + 1]
            )
            continue
        _note(model, target, "OK", index + 1)
        return


def add_cards(reply: inference_pb2.ListModelsResponse, chains: dict[str, list[str]]) -> None:
    """One card per fallback alias with a served target: the first served target's card
    under the alias's name, its targets in ``fallbacks`` and the ready workers of them all."""
    cards = {card.id: card for card in reply.models}
    for alias, targets in sorted(chains.items()):
        served = [cards[t] for t in targets if t in cards]
        if not served or alias in cards:
            continue
        card = reply.models.add()
        card.CopyFrom(served[0])
        card.id = alias
        del card.aliases[:]
        card.ClearField("price")
        card.fallbacks.extend(targets)
        card.ready_workers = sum(c.ready_workers for c in served)
