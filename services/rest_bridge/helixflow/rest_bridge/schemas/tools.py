"""OpenAI's tool-calling shapes (tools, tool_choice, assistant tool_calls) and their proto form."""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import Field

from helixflow.common.errors import InvalidArgument
from helixflow.rest_bridge.schemas.common import StrictModel
from helixflow.v1 import common_pb2, inference_pb2

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MODES = {
    "auto": common_pb2.TOOL_CHOICE_MODE_AUTO,
    "none": common_pb2.TOOL_CHOICE_MODE_NONE,
    "required": common_pb2.TOOL_CHOICE_MODE_REQUIRED,
}


class FunctionDef(StrictModel):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class ToolDef(StrictModel):
    type: Literal["function"]
    function: FunctionDef


class NamedFunction(StrictModel):
    name: str


class NamedToolChoice(StrictModel):
    type: Literal["function"]
    function: NamedFunction


# "auto", "none" or "required" (checked in apply_tools, so a bad one is a 400 with param "tool_choice").
ToolChoice = str | NamedToolChoice


class FunctionCall(StrictModel):
    name: str
    arguments: str


class ToolCallIn(StrictModel):
    id: str = Field(min_length=1)
    type: Literal["function"]
    function: FunctionCall

    def to_proto(self) -> common_pb2.ToolCall:
        return common_pb2.ToolCall(id=self.id, name=self.function.name, arguments=self.function.arguments)


def _check_schema(schema: dict[str, Any], param: str) -> None:
    """The parts of a parameters schema HelixFlow relies on: an object with named property schemas."""
    kind = schema.get("type", "object")
    if kind != "object":
        raise InvalidArgument(f"'{param}' must be a JSON Schema of type 'object', not {kind!r}", field=param)
    props = schema.get("properties", {})
    if not isinstance(props, dict) or not all(isinstance(v, dict | bool) for v in props.values()):
        raise InvalidArgument(f"'{param}.properties' must map property names to schemas", field=param)
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InvalidArgument(f"'{param}.required' must be a list of property names", field=param)


def apply_tools(
    req: inference_pb2.GenerateRequest,
    tools: list[ToolDef] | None,
    choice: ToolChoice | None,
    parallel: bool | None,
) -> None:
    """Copy tools, tool_choice and parallel_tool_calls into the request (400 with param on bad ones)."""
    names: list[str] = []
    for i, tool in enumerate(tools or []):
        fn = tool.function
        if not _NAME.match(fn.name):
            raise InvalidArgument(
                "function names must be 1-64 letters, digits, underscores or dashes", field=f"tools[{i}].function.name"
            )
        if fn.name in names:
            raise InvalidArgument(f"function name {fn.name!r} is used twice", field=f"tools[{i}].function.name")
        names.append(fn.name)
        parameters = ""
        if fn.parameters is not None:
            _check_schema(fn.parameters, f"tools[{i}].function.parameters")
            parameters = json.dumps(fn.parameters)
        req.tools.add(name=fn.name, description=fn.description or "", parameters=parameters)
    if isinstance(choice, NamedToolChoice):
        if choice.function.name not in names:
            raise InvalidArgument(
                f"tool_choice names function {choice.function.name!r}, which is not in 'tools'",
                field="tool_choice.function.name",
            )
        req.tool_choice.function_name = choice.function.name
    elif choice is not None:
        if choice not in _MODES:
            raise InvalidArgument(
                "tool_choice must be 'auto', 'none', 'required' or a named function", field="tool_choice"
            )
        if choice == "required" and not names:
            raise InvalidArgument("tool_choice 'required' needs 'tools'", field="tool_choice")
        req.tool_choice.mode = _MODES[choice]
    if parallel is not None:
        req.parallel_tool_calls = parallel


def tool_calls_json(calls: Any) -> list[dict[str, Any]]:
    """Complete.tool_calls as an assistant message's ``tool_calls``."""
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def tool_call_chunk(delta: common_pb2.ToolCallDelta) -> dict[str, Any]:
    """One streamed ToolCallDelta in a chunk's ``delta.tool_calls``: id, type and name come once."""
    if delta.name:
        return {
            "index": delta.index,
            "id": delta.id,
            "type": "function",
            "function": {"name": delta.name, "arguments": delta.arguments},
        }
    return {"index": delta.index, "function": {"arguments": delta.arguments}}
