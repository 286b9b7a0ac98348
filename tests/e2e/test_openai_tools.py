"""A full tool loop with the official openai Python SDK against the real stack and model.

tool_choice "required" (grammar-constrained on the worker), streaming and not:
the model calls the tool, the tool's result goes back, the model answers. The
arguments must parse, validate against the schema, and be identical between
streaming and non-streaming at temperature 0.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import jsonschema
import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam, ChatCompletionToolParam

from helixflow.stack.local import LocalStack
from helixflow.v1 import inference_pb2, inference_pb2_grpc

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24}},
    "required": ["city"],
    "additionalProperties": False,
}
TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Current weather in a city", "parameters": SCHEMA},
    }
]
ASK: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is the weather in Paris?"}]
RESULT = '{"temperature_c": 18, "sky": "clear"}'


@pytest.fixture(scope="module")
def client(stack: LocalStack, real_model: bool) -> openai.OpenAI:
    if not real_model:
        pytest.skip("tool calls need the real model (HELIXFLOW_E2E_BACKEND=fake)")
    return openai.OpenAI(base_url=stack.bridge_url + "/v1", api_key="unused", max_retries=0, timeout=600)


def follow_up(call_id: str, name: str, arguments: str) -> list[ChatCompletionMessageParam]:
    return [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
        },
        {"role": "tool", "tool_call_id": call_id, "content": RESULT},
    ]


def test_tool_loop_streaming_and_not(client: openai.OpenAI, model: str) -> None:
    common: dict[str, Any] = {"model": model, "tools": TOOLS, "temperature": 0, "parallel_tool_calls": False}
    # Non-streaming: the call.
    out = client.chat.completions.create(messages=ASK, tool_choice="required", max_tokens=64, **common)
    choice = out.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    jsonschema.validate(json.loads(call.function.arguments), SCHEMA)

    # Streaming: the same call, its id and name in the first chunk, then argument fragments.
    stream = client.chat.completions.create(messages=ASK, tool_choice="required", max_tokens=64, stream=True, **common)
    pieces = [c.choices[0] for c in stream if c.choices]
    tool_chunks = [p.delta.tool_calls[0] for p in pieces if p.delta.tool_calls]
    first, rest = tool_chunks[0], tool_chunks[1:]
    assert first.id
    assert first.type == "function"
    assert first.function is not None
    assert first.function.name == "get_weather"
    assert rest
    assert all(t.id is None and t.type is None and t.function and t.function.name is None for t in rest)
    streamed = (first.function.arguments or "") + "".join((t.function.arguments or "") for t in rest if t.function)
    assert len([t for t in rest if t.function and t.function.arguments]) > 1  # streamed, not in one piece
    assert streamed == call.function.arguments  # identical at temperature 0
    assert [p.finish_reason for p in pieces if p.finish_reason] == ["tool_calls"]

    # The tool result goes back; the model answers in text (tool_choice none).
    answer = client.chat.completions.create(
        messages=follow_up(call.id, call.function.name, call.function.arguments),
        tool_choice="none",
        max_tokens=16,
        **common,
    )
    assert answer.choices[0].message.content
    assert answer.choices[0].message.tool_calls is None
    assert answer.choices[0].finish_reason in ("stop", "length")
    stream = client.chat.completions.create(
        messages=follow_up(first.id, "get_weather", streamed),
        tool_choice="none",
        max_tokens=16,
        stream=True,
        **common,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == answer.choices[0].message.content


def test_named_tool_choice(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(
        model=model,
        messages=ASK,
        tools=TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        temperature=0,
        max_tokens=64,
    )
    calls = out.choices[0].message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    assert isinstance(calls[0], ChatCompletionMessageFunctionToolCall)
    assert calls[0].function.name == "get_weather"
    jsonschema.validate(json.loads(calls[0].function.arguments), SCHEMA)


async def test_list_models_reports_tool_support(stack: LocalStack, model: str, real_model: bool) -> None:
    if not real_model:
        pytest.skip("the fake engine serves no tools")
    async with grpc.aio.insecure_channel(stack.router_address) as channel:
        reply = await inference_pb2_grpc.InferenceStub(channel).ListModels(inference_pb2.ListModelsRequest())
    card = next(m for m in reply.models if m.id == model)
    assert card.supports_tools
    assert card.tool_parser == "hermes"  # the default model has no template: the fallback tool format
