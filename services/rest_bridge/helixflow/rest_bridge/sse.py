"""Server-sent events exactly as OpenAI sends them, built with as little per-token work as we can.

A content, role or finish chunk is a precomputed byte prefix + the index + the
JSON-encoded text or reason + a precomputed suffix: no pydantic, no dict building
per token or per request (``tests/rest_bridge/test_sse_encoder.py`` holds them to
orjson's encoding of the dicts).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import StreamingResponse
from starlette.types import Send

from helixflow.rest_bridge.errors import ApiError

DONE = b"data: [DONE]\n\n"


def event(payload: dict[str, Any]) -> bytes:
    """One ``data: {...}`` event."""
    return b"data: " + orjson.dumps(payload) + b"\n\n"


class SseResponse(StreamingResponse):
    """A stream whose last piece (the one ending in [DONE]) also ends the body, so the
    HTTP server writes it and the chunked terminator in one go, not in two."""

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        more = True
        async for chunk in self.body_iterator:
            if not more:
                raise RuntimeError("SSE body continued after [DONE]")
            body = chunk.encode(self.charset) if isinstance(chunk, str) else bytes(chunk)
            more = not body.endswith(DONE)
            await send({"type": "http.response.body", "body": body, "more_body": more})
        if more:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def error_event(err: ApiError) -> bytes:
    """A mid-stream failure, in OpenAI's error schema."""
    return event(err.body())


class ChunkEncoder:
    """Encodes the chunks of one streamed chat or text completion."""

    def __init__(
        self,
        *,
        chat: bool,
        completion_id: str,
        created: int,
        model: str,
        fingerprint: str,
        include_usage: bool,
        service_tier: str | None = None,
    ) -> None:
        self.chat = chat
        self.include_usage = include_usage
        self._head: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk" if chat else "text_completion",
            "created": created,
            "model": model,
            "system_fingerprint": fingerprint,
        }
        if service_tier is not None:  # chat only: legacy completions have no tier
            self._head["service_tier"] = service_tier
        head = orjson.dumps(self._head)[:-1]  # drop the closing brace
        self._prefix = b"data: " + head + b',"choices":[{"index":'
        self._tail = b"}]" + (b',"usage":null' if include_usage else b"") + b"}\n\n"
        if chat:
            self._mid = b',"delta":{"content":'
            self._suffix = b'},"logprobs":null,"finish_reason":null' + self._tail
            self._role = b',"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null' + self._tail
            self._finish_mid = b',"delta":{},"logprobs":null,"finish_reason":'
        else:
            self._mid = b',"text":'
            self._suffix = b',"logprobs":null,"finish_reason":null' + self._tail
            self._finish_mid = b',"text":"","logprobs":null,"finish_reason":'

    def _chunk(self, choices: list[dict[str, Any]], usage: Any = None) -> bytes:
        payload = {**self._head, "choices": choices}
        if self.include_usage:
            payload["usage"] = usage
        return event(payload)

    def role(self, index: int) -> bytes:
        """Chat only: the first chunk of a choice carries the role."""
        return self._prefix + str(index).encode() + self._role

    def text(self, index: int, text: str) -> bytes:
        """The hot path: one token's worth of text."""
        return self._prefix + str(index).encode() + self._mid + orjson.dumps(text) + self._suffix

    def text_with_logprobs(self, index: int, text: str, logprobs: dict[str, Any]) -> bytes:
        if self.chat:
            choice = {"index": index, "delta": {"content": text}, "logprobs": logprobs, "finish_reason": None}
        else:
            choice = {"index": index, "text": text, "logprobs": logprobs, "finish_reason": None}
        return self._chunk([choice])

    def tool_call(self, index: int, call: dict[str, Any]) -> bytes:
        """Chat only: one tool-call piece (see ``schemas.tools.tool_call_chunk``)."""
        choice = {"index": index, "delta": {"tool_calls": [call]}, "logprobs": None, "finish_reason": None}
        return self._chunk([choice])

    def finish(self, index: int, reason: str) -> bytes:
        return self._prefix + str(index).encode() + self._finish_mid + orjson.dumps(reason) + self._tail

    def usage(self, usage: dict[str, int]) -> bytes:
        """The extra last chunk stream_options.include_usage asks for: no choices."""
        return event({**self._head, "choices": [], "usage": usage})
