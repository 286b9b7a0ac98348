"""Anthropic's Messages API: POST /v1/messages and /v1/messages/count_tokens.

One Generate call per message (Tokenize for count_tokens); the router does the
work. Streaming sends Anthropic's events: ``message_start``, ``ping``, per block
``content_block_start`` / ``content_block_delta`` / ``content_block_stop``, then
``message_delta`` (stop reason, usage) and ``message_stop``; a failure after the
start is an ``error`` event. Errors use Anthropic's schema (``anthropic_errors``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson
from fastapi import APIRouter, FastAPI, Request
from starlette.responses import Response, StreamingResponse

from helixflow.common.errors import HelixError, Internal
from helixflow.rest_bridge.anthropic_errors import AnthropicRoute, error_event
from helixflow.rest_bridge.client import RouterClient, forward_metadata
from helixflow.rest_bridge.errors import to_api_error
from helixflow.rest_bridge.generate import Generation, Stream, new_id, until_complete
from helixflow.rest_bridge.schemas import agent_objects as ao
from helixflow.rest_bridge.schemas.messages import CountTokensRequest, MessagesRequest
from helixflow.rest_bridge.schemas.service_tier import ANTHROPIC_TIERS
from helixflow.rest_bridge.translate import finish_reason
from helixflow.v1 import common_pb2, inference_pb2

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ao.AnthropicError} for code in (400, 401, 403, 404, 413, 415, 429, 500, 504, 529)
}
_STREAM: dict[str, Any] = {"text/event-stream": {"schema": {"type": "string"}}}


def _client(request: Request) -> RouterClient:
    rc: RouterClient = request.app.state.client
    return rc


def stop_reason(complete: common_pb2.Complete, stops: list[str]) -> tuple[str, str | None]:
    """Anthropic's (stop_reason, stop_sequence) for the terminal message."""
    reason = finish_reason(complete)  # raises on a cancelled or failed generation
    if reason == "tool_calls":
        return "tool_use", None
    if reason == "length":
        return "max_tokens", None
    if complete.WhichOneof("matched_stop") == "stop_string" and complete.stop_string in stops:
        return "stop_sequence", complete.stop_string
    return "end_turn", None


def tool_input(call: common_pb2.ToolCall) -> dict[str, Any]:
    try:
        parsed = json.loads(call.arguments or "{}")
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise Internal(f"tool call {call.name!r} has arguments that are not a JSON object")
    return parsed


def usage_json(usage: common_pb2.Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.prompt_tokens,
        "output_tokens": usage.completion_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
    }


def message_json(mid: str, model: str, content: list[dict[str, Any]], tier: str) -> dict[str, Any]:
    """A message object; ``tier`` is the service tier it ran at (``ANTHROPIC_TIERS``)."""
    return {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 0, "output_tokens": 0, "service_tier": tier},
    }


def _event(kind: str, **fields: Any) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps({"type": kind, **fields}) + b"\n\n"


class _Blocks:
    """The content blocks of one streamed message: which one is open, and its index."""

    def __init__(self) -> None:
        self.index = -1
        self.kind: str | None = None

    def _start(self, block: dict[str, Any]) -> list[bytes]:
        out = self.stop()
        self.index += 1
        self.kind = block["type"]
        out.append(_event("content_block_start", index=self.index, content_block=block))
        return out

    def text(self, text: str) -> list[bytes]:
        out = self._start({"type": "text", "text": ""}) if self.kind != "text" else []
        out.append(_event("content_block_delta", index=self.index, delta={"type": "text_delta", "text": text}))
        return out

    def tool(self, delta: common_pb2.ToolCallDelta) -> list[bytes]:
        out: list[bytes] = []
        if delta.name or self.kind != "tool_use":
            out += self._start({"type": "tool_use", "id": delta.id, "name": delta.name, "input": {}})
        if delta.arguments:
            piece = {"type": "input_json_delta", "partial_json": delta.arguments}
            out.append(_event("content_block_delta", index=self.index, delta=piece))
        return out

    def delta(self, delta: common_pb2.TokenDelta) -> list[bytes]:
        out = self.text(delta.text) if delta.text else []
        for call in delta.tool_calls:
            out += self.tool(call)
        return out

    def stop(self) -> list[bytes]:
        if self.kind is None:
            return []
        self.kind = None
        return [_event("content_block_stop", index=self.index)]


async def _events(
    body: MessagesRequest, gen: Generation, it: Stream, first: inference_pb2.GenerateResponse, mid: str
) -> AsyncIterator[bytes]:
    blocks = _Blocks()
    try:
        tier = await gen.served_tier(ANTHROPIC_TIERS, body.service_tier)
        yield _event("message_start", message=message_json(mid, body.model, [], tier))
        yield _event("ping")
        async for msg in until_complete(first, it):
            if msg.HasField("complete"):
                reason, sequence = stop_reason(msg.complete, body.stop_sequences or [])
                for chunk in blocks.stop():
                    yield chunk
                delta = {"stop_reason": reason, "stop_sequence": sequence}
                yield _event("message_delta", delta=delta, usage=usage_json(msg.complete.usage))
                yield _event("message_stop")
            else:
                for chunk in blocks.delta(msg.delta):
                    yield chunk
    except (grpc.aio.AioRpcError, HelixError) as exc:
        yield error_event(to_api_error(exc))
    finally:
        gen.cancel()


router = APIRouter(route_class=AnthropicRoute)


@router.post(
    "/v1/messages", response_model=None, responses={200: {"model": ao.MessageObject, "content": _STREAM}, **_ERRORS}
)
async def create_message(body: MessagesRequest, request: Request) -> Response:
    """Anthropic Messages: `stream: true` answers with Anthropic's server-sent events."""
    gen = Generation.start(_client(request), [body.to_proto()], forward_metadata(request.headers))
    mid = new_id("msg").replace("-", "_")
    if body.stream:
        iters, firsts = await gen.prime()
        return StreamingResponse(
            _events(body, gen, iters[0], firsts[0], mid),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
    [result] = await gen.collect()
    content: list[dict[str, Any]] = [{"type": "text", "text": result.text}] if result.text else []
    calls = result.complete.tool_calls
    content += [{"type": "tool_use", "id": c.id, "name": c.name, "input": tool_input(c)} for c in calls]
    reason, sequence = stop_reason(result.complete, body.stop_sequences or [])
    message = message_json(mid, body.model, content, await gen.served_tier(ANTHROPIC_TIERS, body.service_tier))
    message["usage"].update(usage_json(result.complete.usage))
    message.update(stop_reason=reason, stop_sequence=sequence)
    return Response(orjson.dumps(message), media_type="application/json")


@router.post("/v1/messages/count_tokens", response_model=None, responses={200: {"model": ao.TokenCount}, **_ERRORS})
async def count_tokens(body: CountTokensRequest, request: Request) -> Response:
    """The prompt's token count, from the router's Tokenize (tool definitions are not counted)."""
    rc = _client(request)
    reply = await rc.stub.Tokenize(body.to_proto(), metadata=forward_metadata(request.headers), timeout=rc.timeout_s)
    return Response(orjson.dumps({"input_tokens": len(reply.token_ids)}), media_type="application/json")


def mount(app: FastAPI) -> None:
    app.include_router(router)
