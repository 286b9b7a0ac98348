"""Tool fields of the wire request as validated domain types, and tool output back to protobuf."""

from __future__ import annotations

import json
import re

from helixflow.common.errors import InvalidArgument
from helixflow.v1 import common_pb2, inference_pb2
from helixflow.worker.engine import Tool, ToolCall, ToolCallDelta, ToolChoiceMode, ToolSpec

MAX_TOOLS = 128
MAX_SCHEMA_CHARS = 64 * 1024
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_MODES = {
    common_pb2.TOOL_CHOICE_MODE_UNSPECIFIED: ToolChoiceMode.AUTO,
    common_pb2.TOOL_CHOICE_MODE_AUTO: ToolChoiceMode.AUTO,
    common_pb2.TOOL_CHOICE_MODE_NONE: ToolChoiceMode.NONE,
    common_pb2.TOOL_CHOICE_MODE_REQUIRED: ToolChoiceMode.REQUIRED,
}


def check_schema(text: str, field: str) -> None:
    """A tool's parameters must be a JSON object schema (or empty)."""
    if not text:
        return
    if len(text) > MAX_SCHEMA_CHARS:
        raise InvalidArgument(f"{field} is longer than {MAX_SCHEMA_CHARS} characters", field=field)
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"{field} is not valid JSON: {exc}", field=field) from exc
    if not isinstance(schema, dict):
        raise InvalidArgument(f"{field} must be a JSON Schema object", field=field)
    kind = schema.get("type", "object")
    if kind != "object":
        raise InvalidArgument(f'{field} must describe an object ("type": "object"), not {kind!r}', field=field)
    props = schema.get("properties", {})
    if not isinstance(props, dict) or not all(isinstance(v, dict | bool) for v in props.values()):
        raise InvalidArgument(f"{field}.properties must map names to schemas", field=field)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InvalidArgument(f"{field}.required must be a list of property names", field=field)


def tools_from_pb(pb: inference_pb2.GenerateRequest) -> ToolSpec | None:
    """The request's tools, validated; None when it has none."""
    choice = pb.tool_choice
    which = choice.WhichOneof("choice")
    if not pb.tools:
        if which == "function_name" or (which == "mode" and choice.mode == common_pb2.TOOL_CHOICE_MODE_REQUIRED):
            raise InvalidArgument("tool_choice needs tools", field="tool_choice")
        return None
    if pb.WhichOneof("input") != "messages":
        raise InvalidArgument("tools need a messages input (the chat template renders them)", field="tools")
    if len(pb.tools) > MAX_TOOLS:
        raise InvalidArgument(f"at most {MAX_TOOLS} tools", field="tools")
    tools: list[Tool] = []
    for i, t in enumerate(pb.tools):
        if not NAME.match(t.name):
            raise InvalidArgument(
                f"tools[{i}].name must be 1-64 letters, digits, underscores or dashes", field=f"tools[{i}].name"
            )
        if any(t.name == other.name for other in tools):
            raise InvalidArgument(f"tools[{i}].name {t.name!r} is used twice", field=f"tools[{i}].name")
        check_schema(t.parameters, f"tools[{i}].parameters")
        tools.append(Tool(name=t.name, description=t.description, parameters=t.parameters))
    mode, function = ToolChoiceMode.AUTO, ""
    if which == "function_name":
        mode, function = ToolChoiceMode.FUNCTION, choice.function_name
        if all(t.name != function for t in tools):
            raise InvalidArgument(
                f"tool_choice names {function!r}, which is not one of the tools", field="tool_choice.function_name"
            )
    elif which == "mode":
        if choice.mode not in _MODES:
            raise InvalidArgument(f"unknown tool_choice.mode {choice.mode}", field="tool_choice.mode")
        mode = _MODES[choice.mode]
    parallel = pb.parallel_tool_calls if pb.HasField("parallel_tool_calls") else True
    return ToolSpec(tools=tuple(tools), choice=mode, function=function, parallel=parallel)


def tool_calls_from_pb(pb: common_pb2.ChatMessage, i: int) -> tuple[ToolCall, ...]:
    calls = []
    for k, c in enumerate(pb.tool_calls):
        field = f"messages[{i}].tool_calls[{k}]"
        if not c.id or not c.name:
            raise InvalidArgument(f"{field} needs an id and a name", field=field)
        calls.append(ToolCall(id=c.id, name=c.name, arguments=c.arguments or "{}"))
    return tuple(calls)


def tool_call_deltas_to_pb(deltas: list[ToolCallDelta], out: common_pb2.TokenDelta) -> None:
    for d in deltas:
        out.tool_calls.add(index=d.index, id=d.id, name=d.name, arguments=d.arguments)


def tool_calls_to_pb(calls: list[ToolCall], out: common_pb2.Complete) -> None:
    for c in calls:
        out.tool_calls.add(id=c.id, name=c.name, arguments=c.arguments)
