"""The Responses API with the official openai Python SDK against the real stack and model.

Streaming and not (identical text at temperature 0), the SDK's stream helper and
its final response, a function tool call with tool_choice "required" and the
follow-up with previous_response_id, a JSON-schema text.format, retrieve /
input_items / delete, and 400s naming unsupported fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import openai
import pytest
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage
from pydantic import BaseModel

from helixflow.stack.local import LocalStack

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24}},
    "required": ["city"],
    "additionalProperties": False,
}
TOOLS: list[Any] = [
    {"type": "function", "name": "get_weather", "description": "Current weather in a city", "parameters": SCHEMA}
]
ASK = "What is the weather in Paris?"


@pytest.fixture(scope="module")
def client(stack: LocalStack, real_model: bool) -> Iterator[openai.OpenAI]:
    if not real_model:
        pytest.skip("the Responses checks need the real model (HELIXFLOW_E2E_BACKEND=fake)")
    with openai.OpenAI(base_url=stack.bridge_url + "/v1", api_key="unused", max_retries=0, timeout=600) as client:
        yield client


def test_create_streaming_and_not(client: openai.OpenAI, model: str) -> None:
    # The tiny model rarely stops on its own: at the token limit the response is "incomplete".
    common: dict[str, Any] = {"model": model, "temperature": 0, "max_output_tokens": 8}
    ask: dict[str, Any] = {"input": "Name a colour.", "instructions": "Answer in one word."}
    out = client.responses.create(**ask, **common)
    assert out.object == "response"
    assert out.id.startswith("resp_")
    assert out.status == "incomplete"
    assert out.incomplete_details is not None
    assert out.incomplete_details.reason == "max_output_tokens"
    assert out.output_text
    message = out.output[0]
    assert isinstance(message, ResponseOutputMessage)
    assert message.role == "assistant"
    assert out.usage is not None
    assert out.usage.input_tokens > 0
    assert out.usage.output_tokens == 8
    assert out.usage.total_tokens == out.usage.input_tokens + out.usage.output_tokens

    # The raw event sequence, in the order the SDK expects.
    events = list(client.responses.create(stream=True, **ask, **common))
    kinds = [e.type for e in events]
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    assert set(kinds[4:-4]) == {"response.output_text.delta"}
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == out.output_text  # identical at temperature 0
    last = events[-1]
    assert last.type == "response.incomplete"
    assert last.response.id == events[0].response.id
    assert last.response.usage is not None
    assert last.response.usage.output_tokens == out.usage.output_tokens


class City(BaseModel):
    city: str


def test_stream_helper_and_parse_with_a_json_schema(client: openai.OpenAI, model: str) -> None:
    """A schema-constrained answer ends on its own (response.completed), which the SDK's helpers want."""
    common: dict[str, Any] = {"model": model, "temperature": 0, "max_output_tokens": 48}
    ask = "Which city is the capital of France? Reply in JSON."
    with client.responses.stream(input=ask, text_format=City, **common) as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert final.status == "completed"
    assert len(texts) > 1
    assert "".join(texts) == final.output_text
    assert final.output_parsed is not None
    assert final.output_parsed.city
    parsed = client.responses.parse(input=ask, text_format=City, **common)
    assert parsed.output_parsed == final.output_parsed  # identical at temperature 0


def test_function_call_then_previous_response_id(client: openai.OpenAI, model: str) -> None:
    common: dict[str, Any] = {"model": model, "tools": TOOLS, "temperature": 0, "parallel_tool_calls": False}
    out = client.responses.create(input=ASK, tool_choice="required", max_output_tokens=64, **common)
    calls = [i for i in out.output if isinstance(i, ResponseFunctionToolCall)]
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather"
    assert call.call_id
    jsonschema.validate(json.loads(call.arguments), SCHEMA)

    # Streamed: argument deltas, and the same call in the final response.
    with client.responses.stream(input=ASK, tool_choice="required", max_output_tokens=64, **common) as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.delta" in kinds
    assert "response.function_call_arguments.done" in kinds
    streamed = [i for i in final.output if isinstance(i, ResponseFunctionToolCall)]
    assert [(c.name, c.arguments) for c in streamed] == [(call.name, call.arguments)]

    # The tool's result continues the stored conversation.
    result = {"type": "function_call_output", "call_id": call.call_id, "output": '{"temperature_c": 18}'}
    just_the_result: list[Any] = [result]
    answer = client.responses.create(
        input=just_the_result, previous_response_id=out.id, tool_choice="none", max_output_tokens=24, **common
    )
    assert answer.previous_response_id == out.id
    assert answer.output_text
    assert not [i for i in answer.output if isinstance(i, ResponseFunctionToolCall)]
    # The same as sending the whole conversation explicitly: the earlier turn came along.
    explicit: list[Any] = [
        {"role": "user", "content": ASK},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        result,
    ]
    control = client.responses.create(input=explicit, tool_choice="none", max_output_tokens=24, store=False, **common)
    assert answer.usage is not None
    assert control.usage is not None
    assert answer.usage.input_tokens == control.usage.input_tokens
    assert answer.output_text == control.output_text
    with pytest.raises(openai.NotFoundError):  # store=False keeps nothing
        client.responses.retrieve(control.id)

    # Stored: retrieve, list the input items, delete.
    again = client.responses.retrieve(out.id)
    assert again.id == out.id
    assert [i.model_dump() for i in again.output] == [i.model_dump() for i in out.output]
    items = client.responses.input_items.list(answer.id)
    assert [i.type for i in items.data] == ["function_call_output"]
    client.responses.delete(answer.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(answer.id)


def test_json_schema_text_format(client: openai.OpenAI, model: str) -> None:
    out = client.responses.create(
        model=model,
        input="Which city is the capital of France? Reply in JSON.",
        text={"format": {"type": "json_schema", "name": "city", "schema": SCHEMA, "strict": True}},
        temperature=0,
        max_output_tokens=48,
    )
    assert out.status == "completed"
    jsonschema.validate(json.loads(out.output_text), SCHEMA)
    assert out.text is not None
    assert out.text.format is not None
    assert out.text.format.type == "json_schema"


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "web_search"}]}, "tools[0].type"),
        ({"background": True}, "background"),
        ({"reasoning": {"effort": "high"}}, "reasoning"),
    ],
)
def test_unsupported_features_are_400_naming_the_field(
    client: openai.OpenAI, model: str, extra: dict[str, Any], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=model, input="Hi", max_output_tokens=4, **extra)
    assert caught.value.param == param
