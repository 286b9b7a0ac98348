"""Helpers for the upstream-backend tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

from helixflow.worker.engine import Engine, Event, Finished, GenerationRequest


async def collect(events: AsyncIterator[Event]) -> tuple[list[str], Finished]:
    """The deltas' texts and the one terminal event (asserting it is last and single)."""
    texts: list[str] = []
    finished: Finished | None = None
    async for event in events:
        assert finished is None, "an event after the terminal one"
        if isinstance(event, Finished):
            finished = event
        else:
            texts.append(event.text)
    assert finished is not None, "no terminal event"
    return texts, finished


async def run(engine: Engine, request: GenerationRequest) -> tuple[list[str], Finished]:
    return await collect(engine.generate(request))
