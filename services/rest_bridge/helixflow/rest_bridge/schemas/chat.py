"""POST /v1/chat/completions request, in the OpenAI API reference's field order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from helixflow.common.errors import InvalidArgument
from helixflow.common.roles import ROLES_BY_NAME
from helixflow.rest_bridge.schemas.common import (
    EOS_DOC,
    MAX_TOKENS_LIMIT,
    MIN_P_DOC,
    REP_DOC,
    ResponseFormat,
    Stop,
    StreamOptions,
    StrictModel,
    apply_response_format,
    fill_sampling,
    reject_unsupported,
)
from helixflow.rest_bridge.schemas.service_tier import OPENAI_TIERS
from helixflow.rest_bridge.schemas.tools import ToolCallIn, ToolChoice, ToolDef, apply_tools
from helixflow.v1 import common_pb2, inference_pb2

_ROLES = {**ROLES_BY_NAME, "developer": common_pb2.ROLE_SYSTEM}  # OpenAI's newer name for system


class TextPart(StrictModel):
    type: Literal["text"]
    text: str


class ChatMessageIn(StrictModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    # None only on an assistant message that carries tool_calls.
    content: str | list[TextPart] | None = None
    name: str | None = Field(default=None, max_length=64)
    refusal: str | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = None

    def to_proto(self, index: int = 0) -> common_pb2.ChatMessage:
        where = f"messages[{index}]"
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise InvalidArgument(f"'{where}.content' is required", field=f"{where}.content")
        if self.tool_calls and self.role != "assistant":
            raise InvalidArgument("only assistant messages carry 'tool_calls'", field=f"{where}.tool_calls")
        if self.role == "tool" and not self.tool_call_id:
            raise InvalidArgument("a tool message needs 'tool_call_id'", field=f"{where}.tool_call_id")
        content = self.content or ""
        text = content if isinstance(content, str) else "".join(p.text for p in content)
        return common_pb2.ChatMessage(
            role=_ROLES[self.role],
            content=text,
            name=self.name or "",
            tool_calls=[c.to_proto() for c in self.tool_calls or []],
            tool_call_id=self.tool_call_id or "",
        )


# Fields OpenAI defines that HelixFlow cannot honour, with their "off" values.
_UNSUPPORTED: dict[str, tuple[Any, ...]] = {
    "audio": (),
    "function_call": ("none",),
    "functions": ([],),
    "logit_bias": ({},),
    "metadata": ({},),
    "modalities": (["text"],),
    "prediction": (),
    "reasoning_effort": (),
    "store": (False,),
    "web_search_options": (),
}


class ChatCompletionRequest(StrictModel):
    """OpenAI's chat completion request. Unsupported features give a 400 naming the field."""

    messages: list[ChatMessageIn] = Field(min_length=1)
    model: str = Field(min_length=1)
    audio: dict[str, Any] | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    function_call: str | dict[str, Any] | None = None
    functions: list[dict[str, Any]] | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    max_completion_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    max_tokens: int | None = Field(
        default=None, ge=1, le=MAX_TOKENS_LIMIT, description="Deprecated by OpenAI; same as max_completion_tokens"
    )
    metadata: dict[str, str] | None = None
    modalities: list[str] | None = None
    n: int | None = Field(default=None, ge=1, le=8, description="Choices to generate: n parallel gRPC calls")
    parallel_tool_calls: bool | None = None
    prediction: dict[str, Any] | None = None
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    reasoning_effort: str | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    service_tier: str | None = None
    stop: Stop = None
    store: bool | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    tool_choice: ToolChoice | None = None
    tools: list[ToolDef] | None = Field(default=None, max_length=128)
    top_logprobs: int | None = Field(default=None, ge=0, le=20)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    user: str | None = Field(default=None, max_length=256)

    web_search_options: dict[str, Any] | None = None

    # --- Extensions (vLLM-compatible; not in OpenAI's API) ---
    top_k: int | None = Field(
        default=None, ge=-1, le=100_000, description="Extension: keep the k most likely tokens; -1 or 0 = off"
    )
    min_p: float | None = Field(default=None, ge=0.0, le=1.0, description=MIN_P_DOC)
    repetition_penalty: float | None = Field(default=None, gt=0.0, le=10.0, description=REP_DOC)
    ignore_eos: bool | None = Field(default=None, description=EOS_DOC)

    def to_proto(self) -> inference_pb2.GenerateRequest:
        """The gRPC request for one choice (the bridge sends it n times)."""
        reject_unsupported(self, _UNSUPPORTED)
        if self.top_logprobs and not self.logprobs:
            raise InvalidArgument("'top_logprobs' requires 'logprobs': true", field="top_logprobs")
        if self.stream_options is not None and not self.stream:
            raise InvalidArgument("'stream_options' is only allowed with 'stream': true", field="stream_options")
        req = inference_pb2.GenerateRequest(model=self.model, user=self.user or "")
        req.messages.messages.extend(m.to_proto(i) for i, m in enumerate(self.messages))
        apply_tools(req, self.tools, self.tool_choice, self.parallel_tool_calls)
        max_tokens = self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens
        fill_sampling(self, req.sampling, max_tokens=max_tokens, stop=self.stop)
        if self.logprobs:
            req.sampling.logprobs = True
            req.sampling.top_logprobs = self.top_logprobs or 0
        apply_response_format(req.sampling, self.response_format)
        OPENAI_TIERS.apply(req, self.service_tier)
        return req
