"""Turn an engine's text stream into content and tool-call deltas (engine-agnostic)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

from helixflow.worker.engine import Delta, Event, FinishReason
from helixflow.worker.tools.parser import ToolCallParser


async def with_tool_calls(events: AsyncGenerator[Event, None], parser: ToolCallParser) -> AsyncGenerator[Event, None]:
    """Each delta's text goes through ``parser``; the terminal event gets the complete calls.

    A stream that stopped normally after a call finishes with TOOL_CALLS. Closing
    this generator closes ``events`` (which aborts the sequence).
    """
    async with aclosing(events):
        async for event in events:
            if isinstance(event, Delta):
                event.text, event.tool_calls = parser.feed(event.text)
                yield event
                continue
            content, deltas = parser.finish()
            if content or deltas:
                yield Delta(content, [], None, deltas)
            event.tool_calls = parser.calls
            if event.tool_calls and event.reason is FinishReason.STOP:
                event.reason = FinishReason.TOOL_CALLS
            yield event
