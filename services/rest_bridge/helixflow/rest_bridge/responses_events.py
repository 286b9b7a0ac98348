"""The Responses API's objects (response, output items) and its streamed event sequence.

Stream order, as the official SDKs accumulate it: ``response.created``,
``response.in_progress``; per output item ``response.output_item.added``, for a
message ``response.content_part.added``, ``response.output_text.delta``...,
``response.output_text.done``, ``response.content_part.done``, for a function call
``response.function_call_arguments.delta``..., ``.done``; then
``response.output_item.done``; last ``response.completed`` (or
``response.incomplete`` at the token limit) with usage. A failure mid-stream is
``response.failed``, never a silent end.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from helixflow.rest_bridge.errors import ApiError
from helixflow.rest_bridge.schemas.openai_responses import InputItem, MessageItem, ResponsesRequest
from helixflow.v1 import common_pb2


def item_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def message_item(text: str, status: str = "completed", mid: str | None = None) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {
        "id": mid or item_id("msg"),
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [part] if status == "completed" else [],
    }


def function_call_item(call: common_pb2.ToolCall, status: str = "completed", fid: str | None = None) -> dict[str, Any]:
    return {
        "id": fid or item_id("fc"),
        "type": "function_call",
        "status": status,
        "call_id": call.id,
        "name": call.name,
        "arguments": call.arguments,
    }


def output_items(text: str, calls: Any) -> list[dict[str, Any]]:
    """A non-streamed result as output items: the text (if any), then each function call."""
    out = [message_item(text)] if text or not calls else []
    return out + [function_call_item(c) for c in calls]


def stored_input(items: list[InputItem]) -> list[dict[str, Any]]:
    """This request's input items as the API lists them (ids given, message text as content parts)."""
    out: list[dict[str, Any]] = []
    for item in items:
        data = item.model_dump(exclude_none=True, by_alias=True)
        if isinstance(item, MessageItem):
            data["type"] = "message"
            if isinstance(item.content, str):
                kind = "output_text" if item.role == "assistant" else "input_text"
                data["content"] = [{"type": kind, "text": item.content}]
            data.setdefault("status", "completed")
        data.setdefault("id", item_id({"message": "msg", "function_call": "fc"}.get(data["type"], "fco")))
        out.append(data)
    return out


def usage_json(usage: common_pb2.Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.prompt_tokens + usage.completion_tokens,
    }


def response_json(
    body: ResponsesRequest, rid: str, created_at: int, status: str, output: list[dict[str, Any]], tier: str
) -> dict[str, Any]:
    """The response object; ``usage`` and the details come with the outcome (``finish``).
    ``tier`` is the ``service_tier`` it ran at (``Generation.served_tier``)."""
    fmt = body.text.format if body.text and body.text.format else None
    choice = body.tool_choice
    return {
        "id": rid,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.instructions,
        "max_output_tokens": body.max_output_tokens,
        "max_tool_calls": body.max_tool_calls,
        "metadata": body.metadata or {},
        "model": body.model,
        "output": output,
        "parallel_tool_calls": body.parallel_tool_calls is not False,
        "previous_response_id": body.previous_response_id,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": tier,
        "store": body.store is not False,
        "temperature": body.temperature if body.temperature is not None else 1.0,
        "text": {"format": fmt.model_dump(exclude_none=True, by_alias=True) if fmt else {"type": "text"}},
        "tool_choice": choice.model_dump() if choice is not None and not isinstance(choice, str) else choice or "auto",
        "tools": [{"strict": None, **t.model_dump(exclude_none=True)} for t in body.tools or []],
        "top_p": body.top_p if body.top_p is not None else 1.0,
        "truncation": "disabled",
        "usage": None,
        "user": body.user,
    }


def finish(response: dict[str, Any], complete: common_pb2.Complete) -> dict[str, Any]:
    """Status and usage from the terminal message: the token limit makes it incomplete."""
    if complete.finish_reason == common_pb2.FINISH_REASON_LENGTH:
        response["status"] = "incomplete"
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    else:
        response["status"] = "completed"
    response["usage"] = usage_json(complete.usage)
    return response


def failed(response: dict[str, Any], err: ApiError) -> dict[str, Any]:
    response["status"] = "failed"
    response["error"] = {"code": err.code or "server_error", "message": err.message}
    return response


@dataclass
class _Open:
    """The output item being streamed: its JSON and (message) text or (call) arguments so far."""

    item: dict[str, Any]
    index: int
    parts: list[str] = field(default_factory=list)


class ResponseEvents:
    """Encodes one streamed response's events, numbering them (``sequence_number``)."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.output: list[dict[str, Any]] = []
        self._seq = 0
        self._open: _Open | None = None

    def _event(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"

    def start(self) -> list[bytes]:
        return [
            self._event("response.created", response=self.response),
            self._event("response.in_progress", response=self.response),
        ]

    def _add(self, item: dict[str, Any]) -> list[bytes]:
        out = self.close()
        self._open = _Open(item, len(self.output))
        self.output.append(item)
        out.append(self._event("response.output_item.added", output_index=self._open.index, item=item))
        return out

    def text(self, delta: str) -> list[bytes]:
        out: list[bytes] = []
        if self._open is None or self._open.item["type"] != "message":
            out += self._add(message_item("", "in_progress"))
            out.append(self._part_event("response.content_part.added", ""))
        assert self._open is not None
        self._open.parts.append(delta)
        ids = self._ids()
        out.append(self._event("response.output_text.delta", **ids, content_index=0, delta=delta, logprobs=[]))
        return out

    def tool_call(self, delta: common_pb2.ToolCallDelta) -> list[bytes]:
        out: list[bytes] = []
        if delta.name or self._open is None or self._open.item["type"] != "function_call":
            call = common_pb2.ToolCall(id=delta.id, name=delta.name)
            out += self._add(function_call_item(call, "in_progress"))
        assert self._open is not None
        if delta.arguments:
            self._open.parts.append(delta.arguments)
            out.append(self._event("response.function_call_arguments.delta", **self._ids(), delta=delta.arguments))
        return out

    def delta(self, delta: common_pb2.TokenDelta) -> list[bytes]:
        out = self.text(delta.text) if delta.text else []
        for call in delta.tool_calls:
            out += self.tool_call(call)
        return out

    def _ids(self) -> dict[str, Any]:
        assert self._open is not None
        return {"item_id": self._open.item["id"], "output_index": self._open.index}

    def _part_event(self, kind: str, text: str) -> bytes:
        part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
        return self._event(kind, **self._ids(), content_index=0, part=part)

    def close(self) -> list[bytes]:
        """Finish the open item (its done events), if any."""
        current, out = self._open, list[bytes]()
        if current is None:
            return out
        joined = "".join(current.parts)
        if current.item["type"] == "message":
            ids = self._ids()
            out.append(self._event("response.output_text.done", **ids, content_index=0, text=joined, logprobs=[]))
            out.append(self._part_event("response.content_part.done", joined))
            done = message_item(joined, "completed", current.item["id"])
        else:
            out.append(
                self._event(
                    "response.function_call_arguments.done", **self._ids(), arguments=joined, name=current.item["name"]
                )
            )
            done = {**current.item, "arguments": joined, "status": "completed"}
        self.output[current.index] = done
        out.append(self._event("response.output_item.done", output_index=current.index, item=done))
        self._open = None
        return out

    def completed(self, complete: common_pb2.Complete) -> bytes:
        self.response["output"] = self.output
        finish(self.response, complete)
        kind = "response.incomplete" if self.response["status"] == "incomplete" else "response.completed"
        return self._event(kind, response=self.response)

    def failed(self, err: ApiError) -> bytes:
        self.response["output"] = self.output
        return self._event("response.failed", response=failed(self.response, err))
