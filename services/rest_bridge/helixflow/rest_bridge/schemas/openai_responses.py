"""POST /v1/responses request (OpenAI's Responses API), and its proto form.

``input`` is a string or a list of items: messages, function calls and their
outputs. The output items of a stored response have the same shapes, so a
conversation continued with ``previous_response_id`` parses them here too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from helixflow.common.errors import InvalidArgument
from helixflow.common.roles import ROLES_BY_NAME
from helixflow.rest_bridge.schemas.common import (
    MAX_TOKENS_LIMIT,
    JsonSchemaSpec,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    StrictModel,
    apply_response_format,
    fill_sampling,
    reject_unsupported,
)
from helixflow.rest_bridge.schemas.service_tier import OPENAI_TIERS
from helixflow.rest_bridge.schemas.tools import FunctionDef, NamedFunction, NamedToolChoice, ToolDef, apply_tools
from helixflow.v1 import common_pb2, inference_pb2

_ROLES = {**ROLES_BY_NAME, "developer": common_pb2.ROLE_SYSTEM}
# Content part types that carry text, per role; images, files and audio are refused.
_TEXT_PARTS = {"input_text", "output_text", "text"}


class ContentPart(StrictModel):
    type: str
    text: str | None = None
    annotations: list[Any] | None = None
    logprobs: list[Any] | None = None

    def text_of(self, where: str) -> str:
        if self.type not in _TEXT_PARTS or self.text is None:
            raise InvalidArgument(f"content part type {self.type!r} is not supported (text only)", field=where)
        return self.text


class MessageItem(StrictModel):
    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[ContentPart]
    id: str | None = None
    status: str | None = None

    def text(self, where: str) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text_of(f"{where}.content[{i}]") for i, p in enumerate(self.content))


class FunctionCallItem(StrictModel):
    type: Literal["function_call"]
    call_id: str = Field(min_length=1)
    name: str
    arguments: str
    id: str | None = None
    status: str | None = None


class FunctionCallOutputItem(StrictModel):
    type: Literal["function_call_output"]
    call_id: str = Field(min_length=1)
    output: str
    id: str | None = None
    status: str | None = None


InputItem = MessageItem | FunctionCallItem | FunctionCallOutputItem
_ITEM_TYPES: dict[str, type[StrictModel]] = {
    "message": MessageItem,
    "function_call": FunctionCallItem,
    "function_call_output": FunctionCallOutputItem,
}


def parse_items(raw: list[Any], field: str = "input") -> list[InputItem]:
    """Items by their ``type`` (a message may leave it out); an unsupported type is a 400 naming it."""
    items: list[InputItem] = []
    for i, data in enumerate(raw):
        if not isinstance(data, dict):
            raise InvalidArgument(f"'{field}[{i}]' must be an object", field=f"{field}[{i}]")
        kind = data.get("type", "message")
        model = _ITEM_TYPES.get(kind) if isinstance(kind, str) else None
        if model is None:
            raise InvalidArgument(f"input item type {kind!r} is not supported", field=f"{field}[{i}].type")
        content = data.get("content") if model is MessageItem else None
        for j, part in enumerate(content if isinstance(content, list) else []):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in _TEXT_PARTS:
                where = f"{field}[{i}].content[{j}]"
                raise InvalidArgument(f"content part type {kind!r} is not supported (text only)", field=where)
        try:
            items.append(model.model_validate(data))  # type: ignore[arg-type]
        except ValueError as exc:
            raise InvalidArgument(f"invalid '{field}[{i}]': {exc}", field=f"{field}[{i}]") from None
    return items


def items_to_messages(items: list[InputItem]) -> list[common_pb2.ChatMessage]:
    """Chat messages for the contract; consecutive function calls form one assistant turn."""
    out: list[common_pb2.ChatMessage] = []
    for i, item in enumerate(items):
        if isinstance(item, MessageItem):
            out.append(common_pb2.ChatMessage(role=_ROLES[item.role], content=item.text(f"input[{i}]")))
        elif isinstance(item, FunctionCallItem):
            call = common_pb2.ToolCall(id=item.call_id, name=item.name, arguments=item.arguments)
            last = out[-1] if out else None
            if last is not None and last.role == common_pb2.ROLE_ASSISTANT and (last.tool_calls or not last.content):
                last.tool_calls.append(call)
            else:
                out.append(common_pb2.ChatMessage(role=common_pb2.ROLE_ASSISTANT, tool_calls=[call]))
        else:
            tool = common_pb2.ChatMessage(role=common_pb2.ROLE_TOOL, content=item.output, tool_call_id=item.call_id)
            out.append(tool)
    return out


# Tools OpenAI runs itself (web search, files, code, computers, MCP): not HelixFlow's to run.
class ResponsesTool(StrictModel):
    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None

    def as_chat(self, index: int) -> ToolDef:
        if self.name is None:
            raise InvalidArgument("a function tool needs 'name'", field=f"tools[{index}].name")
        fn = FunctionDef(name=self.name, description=self.description, parameters=self.parameters, strict=self.strict)
        return ToolDef(type="function", function=fn)


class FunctionChoice(StrictModel):
    type: Literal["function"]
    name: str


class TextFormat(StrictModel):
    type: Literal["text", "json_object", "json_schema"]
    name: str | None = Field(default=None, max_length=64)
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class TextConfig(StrictModel):
    format: TextFormat | None = None
    verbosity: Literal["low", "medium", "high"] | None = None


class ResponsesStreamOptions(StrictModel):
    include_obfuscation: bool | None = None


_UNSUPPORTED: dict[str, tuple[Any, ...]] = {
    "background": (False,),
    "conversation": (),
    "include": ([],),
    "prompt": (),
    "reasoning": ({},),
    "top_logprobs": (0,),
    "truncation": ("disabled",),
}


class ResponsesRequest(StrictModel):
    """OpenAI's create-response request. Unsupported features give a 400 naming the field."""

    model: str = Field(min_length=1)
    input: str | list[dict[str, Any]] = Field(description="Text, or a list of message / function call items")
    background: bool | None = None
    conversation: str | dict[str, Any] | None = None
    include: list[str] | None = None
    instructions: str | None = None
    max_output_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    max_tool_calls: int | None = Field(default=None, ge=1)
    metadata: dict[str, str] | None = Field(default=None, max_length=16)
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    prompt: dict[str, Any] | None = None
    prompt_cache_key: str | None = None
    reasoning: dict[str, Any] | None = None
    safety_identifier: str | None = None
    service_tier: str | None = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: ResponsesStreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    text: TextConfig | None = None
    tool_choice: Literal["auto", "none", "required"] | FunctionChoice | None = None
    tools: list[ResponsesTool] | None = Field(default=None, max_length=128)
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    truncation: str | None = None
    user: str | None = Field(default=None, max_length=256)

    @model_validator(mode="before")
    @classmethod
    def _function_tools_only(cls, data: Any) -> Any:
        tools = data.get("tools") if isinstance(data, dict) else None
        for i, tool in enumerate(tools if isinstance(tools, list) else []):
            if isinstance(tool, dict) and tool.get("type") != "function":
                kind = tool.get("type")
                raise InvalidArgument(
                    f"built-in tool {kind!r} is not supported; only 'function' tools", field=f"tools[{i}].type"
                )
        return data

    def input_items(self) -> list[InputItem]:
        if isinstance(self.input, str):
            return [MessageItem(role="user", content=self.input)]
        return parse_items(self.input)

    def to_proto(self, history: list[InputItem]) -> inference_pb2.GenerateRequest:
        """The gRPC request: instructions, then the stored conversation, then this input."""
        if self.reasoning is not None and all(v is None for v in self.reasoning.values()):
            self.reasoning = None  # {"effort": null} asks for nothing
        reject_unsupported(self, _UNSUPPORTED)
        if self.stream_options is not None and not self.stream:
            raise InvalidArgument("'stream_options' is only allowed with 'stream': true", field="stream_options")
        req = inference_pb2.GenerateRequest(model=self.model, user=self.user or self.safety_identifier or "")
        if self.instructions:
            req.messages.messages.add(role=common_pb2.ROLE_SYSTEM, content=self.instructions)
        req.messages.messages.extend(items_to_messages([*history, *self.input_items()]))
        if not req.messages.messages:
            raise InvalidArgument("'input' must not be empty", field="input")
        tools = [t.as_chat(i) for i, t in enumerate(self.tools or [])]
        choice: str | NamedToolChoice | None
        if isinstance(self.tool_choice, FunctionChoice):
            choice = NamedToolChoice(type="function", function=NamedFunction(name=self.tool_choice.name))
        else:
            choice = self.tool_choice
        apply_tools(req, tools, choice, self.parallel_tool_calls)
        sampling = _Sampling(self.temperature, self.top_p)
        fill_sampling(sampling, req.sampling, max_tokens=self.max_output_tokens, stop=None)
        apply_response_format(req.sampling, self._format())
        OPENAI_TIERS.apply(req, self.service_tier)
        return req

    def _format(self) -> ResponseFormatJsonObject | ResponseFormatJsonSchema | None:
        fmt = self.text.format if self.text else None
        if fmt is None or fmt.type == "text":
            return None
        if fmt.type == "json_object":
            return ResponseFormatJsonObject(type="json_object")
        if not fmt.name:
            raise InvalidArgument("a json_schema format needs 'name'", field="text.format.name")
        spec = JsonSchemaSpec(name=fmt.name, description=fmt.description, schema_=fmt.schema_, strict=fmt.strict)
        return ResponseFormatJsonSchema(type="json_schema", json_schema=spec)


class _Sampling:
    """The sampling fields the Responses API has; the rest stay unset (model defaults)."""

    def __init__(self, temperature: float | None, top_p: float | None) -> None:
        self.temperature = temperature
        self.top_p = top_p
        self.top_k: int | None = None
        self.min_p: float | None = None
        self.ignore_eos: bool | None = None
        self.seed: int | None = None
        self.presence_penalty: float | None = None
        self.frequency_penalty: float | None = None
        self.repetition_penalty: float | None = None
