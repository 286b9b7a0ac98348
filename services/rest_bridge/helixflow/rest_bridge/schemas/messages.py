"""POST /v1/messages and /v1/messages/count_tokens requests (Anthropic's Messages API), and their proto form.

Content blocks: ``text``, ``tool_use`` (an assistant's call) and ``tool_result``
(the user's answer to one). A user turn's tool results become tool messages, in
order, before its text; images, documents and thinking blocks are a 400.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, model_validator

from helixflow.common.errors import InvalidArgument
from helixflow.rest_bridge.schemas.common import MAX_TOKENS_LIMIT, StrictModel, reject_unsupported
from helixflow.rest_bridge.schemas.service_tier import ANTHROPIC_TIERS
from helixflow.rest_bridge.schemas.tools import FunctionDef, NamedFunction, NamedToolChoice, ToolDef, apply_tools
from helixflow.v1 import common_pb2, inference_pb2


class TextBlock(StrictModel):
    type: Literal["text"]
    text: str
    cache_control: dict[str, Any] | None = None
    citations: list[Any] | None = None


class ToolUseBlock(StrictModel):
    type: Literal["tool_use"]
    id: str = Field(min_length=1)
    name: str
    input: dict[str, Any]
    cache_control: dict[str, Any] | None = None


class ToolResultBlock(StrictModel):
    type: Literal["tool_result"]
    tool_use_id: str = Field(min_length=1)
    content: str | list[TextBlock] | None = None
    is_error: bool | None = None
    cache_control: dict[str, Any] | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        return self.content if isinstance(self.content, str) else "".join(b.text for b in self.content)


Block = TextBlock | ToolUseBlock | ToolResultBlock
_BLOCKS: dict[str, type[StrictModel]] = {"text": TextBlock, "tool_use": ToolUseBlock, "tool_result": ToolResultBlock}


class MessageIn(StrictModel):
    role: Literal["user", "assistant"]
    content: str | list[dict[str, Any]]

    def blocks(self, where: str) -> list[Block]:
        if isinstance(self.content, str):
            return [TextBlock(type="text", text=self.content)]
        out: list[Block] = []
        for i, raw in enumerate(self.content):
            kind = raw.get("type")
            model = _BLOCKS.get(kind) if isinstance(kind, str) else None
            if model is None:
                where_type = f"{where}.content.{i}.type"
                raise InvalidArgument(f"content block type {kind!r} is not supported", field=where_type)
            try:
                block = model.model_validate(raw)
            except ValueError as exc:
                raise InvalidArgument(f"invalid '{where}.content.{i}': {exc}", field=f"{where}.content.{i}") from None
            if isinstance(block, ToolUseBlock) and self.role != "assistant":
                raise InvalidArgument("only assistant turns carry tool_use", field=f"{where}.content.{i}")
            if isinstance(block, ToolResultBlock) and self.role != "user":
                raise InvalidArgument("only user turns carry tool_result", field=f"{where}.content.{i}")
            out.append(block)  # type: ignore[arg-type]
        return out

    def to_proto(self, index: int) -> list[common_pb2.ChatMessage]:
        blocks = self.blocks(f"messages.{index}")
        text = "".join(b.text for b in blocks if isinstance(b, TextBlock))
        if self.role == "assistant":
            calls = [
                common_pb2.ToolCall(id=b.id, name=b.name, arguments=json.dumps(b.input))
                for b in blocks
                if isinstance(b, ToolUseBlock)
            ]
            return [common_pb2.ChatMessage(role=common_pb2.ROLE_ASSISTANT, content=text, tool_calls=calls)]
        out = [
            common_pb2.ChatMessage(role=common_pb2.ROLE_TOOL, content=b.text(), tool_call_id=b.tool_use_id)
            for b in blocks
            if isinstance(b, ToolResultBlock)
        ]
        if text or not out:
            out.append(common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=text))
        return out


class ToolIn(StrictModel):
    name: str
    description: str | None = None
    input_schema: dict[str, Any]
    type: Literal["custom"] | None = None
    cache_control: dict[str, Any] | None = None


class ToolChoiceIn(StrictModel):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class Metadata(StrictModel):
    user_id: str | None = Field(default=None, max_length=256)


_UNSUPPORTED: dict[str, tuple[Any, ...]] = {
    "thinking": (),
    "mcp_servers": ([],),
    "container": (),
}


class _Conversation(StrictModel):
    """What a Messages request and a count_tokens request share: the prompt."""

    model: str = Field(min_length=1)
    messages: list[MessageIn] = Field(min_length=1)
    system: str | list[TextBlock] | None = None
    tools: list[ToolIn] | None = Field(default=None, max_length=128)
    tool_choice: ToolChoiceIn | None = None
    thinking: dict[str, Any] | None = None
    mcp_servers: list[dict[str, Any]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _client_tools_only(cls, data: Any) -> Any:
        tools = data.get("tools") if isinstance(data, dict) else None
        for i, tool in enumerate(tools if isinstance(tools, list) else []):
            if isinstance(tool, dict) and tool.get("type") not in (None, "custom"):
                kind = tool.get("type")
                raise InvalidArgument(f"server tool {kind!r} is not supported; only client tools", field=f"tools.{i}")
        return data

    def chat_messages(self) -> list[common_pb2.ChatMessage]:
        out: list[common_pb2.ChatMessage] = []
        system = self.system if isinstance(self.system, str) else "".join(b.text for b in self.system or [])
        if system:
            out.append(common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system))
        for i, message in enumerate(self.messages):
            out.extend(message.to_proto(i))
        return out

    def _apply_tools(self, req: inference_pb2.GenerateRequest) -> None:
        tools = [
            ToolDef(
                type="function",
                function=FunctionDef(name=t.name, description=t.description, parameters=t.input_schema),
            )
            for t in self.tools or []
        ]
        choice: str | NamedToolChoice | None = None
        parallel: bool | None = None
        if self.tool_choice is not None:
            kind = self.tool_choice.type
            if kind == "tool":
                if not self.tool_choice.name:
                    raise InvalidArgument("tool_choice of type 'tool' needs 'name'", field="tool_choice.name")
                choice = NamedToolChoice(type="function", function=NamedFunction(name=self.tool_choice.name))
            else:
                choice = {"any": "required"}.get(kind, kind)
            if self.tool_choice.disable_parallel_tool_use is not None:
                parallel = not self.tool_choice.disable_parallel_tool_use
        apply_tools(req, tools, choice, parallel)


class MessagesRequest(_Conversation):
    """Anthropic's create-message request. Unsupported features give a 400 naming the field."""

    max_tokens: int = Field(ge=1, le=MAX_TOKENS_LIMIT)
    container: str | None = None
    metadata: Metadata | None = None
    service_tier: str | None = None
    stop_sequences: list[str] | None = Field(default=None, max_length=16)
    stream: bool | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=0, le=100_000)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)

    def to_proto(self) -> inference_pb2.GenerateRequest:
        reject_unsupported(self, _UNSUPPORTED)
        user = self.metadata.user_id if self.metadata and self.metadata.user_id else ""
        req = inference_pb2.GenerateRequest(model=self.model, user=user)
        ANTHROPIC_TIERS.apply(req, self.service_tier)
        req.messages.messages.extend(self.chat_messages())
        self._apply_tools(req)
        sp = req.sampling
        sp.max_tokens = self.max_tokens
        if self.temperature is not None:
            sp.temperature = self.temperature
        if self.top_p is not None:
            sp.top_p = self.top_p
        if self.top_k:
            sp.top_k = self.top_k
        sp.stop.extend(self.stop_sequences or [])
        return req


class CountTokensRequest(_Conversation):
    """POST /v1/messages/count_tokens: the prompt as it would be sent, tokenized by the router."""

    def to_proto(self) -> inference_pb2.TokenizeRequest:
        reject_unsupported(self, {"thinking": (), "mcp_servers": ([],)})
        req = inference_pb2.TokenizeRequest(model=self.model)
        self._apply_tools(inference_pb2.GenerateRequest())  # the same 400s for bad tools as a create
        req.messages.messages.extend(self.chat_messages())
        return req
