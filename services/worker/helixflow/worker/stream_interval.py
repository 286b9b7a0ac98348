"""The worker's stream interval: fewer, larger Generate messages for the router and
the bridge to handle (``stream_interval_ms``, the idea of vLLM's stream interval).

The first delta goes at once; deltas the engine produces within the interval after
each message merge into one (``helixflow.common.coalesce``): texts concatenated,
token ids and logprobs appended, in order. A delta carrying tool calls and the
terminal ``Finished`` pass unchanged, and the end never waits for the interval.
Merging happens on the engine's events, before any protobuf is built.

With the interval on, the worker's inter-token histogram sees the time between
messages (each may carry several tokens); its token counter stays exact.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from helixflow.common import coalesce
from helixflow.worker.engine import Delta, Event, TokenLogprob


def _key(event: Event) -> int | None:
    return 0 if isinstance(event, Delta) and not event.tool_calls else None


def _join(run: list[Event]) -> Event:
    deltas = [e for e in run if isinstance(e, Delta)]
    logprobs: list[TokenLogprob] | None = None
    if any(d.logprobs is not None for d in deltas):
        logprobs = [lp for d in deltas for lp in d.logprobs or ()]
    return Delta(
        text="".join(d.text for d in deltas),
        token_ids=[t for d in deltas for t in d.token_ids],
        logprobs=logprobs,
    )


def _merge(events: list[Event]) -> list[Event]:
    return coalesce.merge_runs(events, _key, _join)


def _terminal(event: Event) -> bool:
    return not isinstance(event, Delta)


def paced(events: AsyncGenerator[Event, None], interval_s: float) -> AsyncGenerator[Event, None]:
    """``events`` with the deltas queued within ``interval_s`` merged; ``events`` itself when 0."""
    if interval_s <= 0:
        return events
    return coalesce.coalesce(events, interval_s, _merge, _terminal)
