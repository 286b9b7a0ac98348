"""The Messages API with the official anthropic Python SDK against the real stack and model.

messages.create and messages.stream (identical text at temperature 0),
stop_sequences, a tool_use round trip with a forced tool choice (streaming and
not), count_tokens, and the SDK's typed errors for an unknown model and a bad request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import jsonschema
import pytest
from anthropic.types import MessageParam, TextBlock, ToolChoiceToolParam, ToolParam, ToolUseBlock

from helixflow.stack.local import LocalStack

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24}},
    "required": ["city"],
    "additionalProperties": False,
}
TOOLS: list[ToolParam] = [{"name": "get_weather", "description": "Current weather in a city", "input_schema": SCHEMA}]
HI: list[MessageParam] = [{"role": "user", "content": "Say hello in three words."}]
# This SDK's create() has no temperature argument; the API still takes one (in the body).
GREEDY = {"temperature": 0}
ASK: list[MessageParam] = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture(scope="module")
def client(stack: LocalStack, real_model: bool) -> Iterator[anthropic.Anthropic]:
    if not real_model:
        pytest.skip("the Messages checks need the real model (HELIXFLOW_E2E_BACKEND=fake)")
    with anthropic.Anthropic(base_url=stack.bridge_url, api_key="unused", max_retries=0, timeout=600) as client:
        yield client


def _text(message: anthropic.types.Message) -> str:
    return "".join(b.text for b in message.content if isinstance(b, TextBlock))


def test_create_and_stream(client: anthropic.Anthropic, model: str) -> None:
    out = client.messages.create(model=model, max_tokens=12, messages=HI, extra_body=GREEDY, system="Be brief.")
    assert out.type == "message"
    assert out.role == "assistant"
    assert out.id.startswith("msg_")
    assert out.stop_reason in ("end_turn", "max_tokens")
    assert _text(out)
    assert out.usage.input_tokens > 0
    assert 0 < out.usage.output_tokens <= 12

    with client.messages.stream(
        model=model, max_tokens=12, messages=HI, extra_body=GREEDY, system="Be brief."
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == _text(out)  # identical at temperature 0
    assert _text(final) == _text(out)
    assert final.stop_reason == out.stop_reason
    assert final.usage.input_tokens == out.usage.input_tokens
    assert final.usage.output_tokens == out.usage.output_tokens

    # The raw events, in Anthropic's order (the SDK drops the ping that follows message_start).
    kinds = [e.type for e in client.messages.create(model=model, max_tokens=4, messages=HI, stream=True)]
    assert kinds[:2] == ["message_start", "content_block_start"]
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(kinds[2:-3]) == {"content_block_delta"}


def test_stop_sequences(client: anthropic.Anthropic, model: str) -> None:
    free = _text(client.messages.create(model=model, max_tokens=16, messages=HI, extra_body=GREEDY))
    words = free.split()
    assert len(words) > 2, free
    stop = words[2]  # a word the model writes: generation must end before it
    out = client.messages.create(model=model, max_tokens=16, messages=HI, extra_body=GREEDY, stop_sequences=[stop])
    assert out.stop_reason == "stop_sequence"
    assert out.stop_sequence == stop
    assert stop not in _text(out)
    assert free.startswith(_text(out).rstrip())


def test_tool_use_round_trip_with_forced_tool(client: anthropic.Anthropic, model: str) -> None:
    common: dict[str, Any] = {"model": model, "tools": TOOLS, "extra_body": GREEDY, "max_tokens": 64}
    forced: ToolChoiceToolParam = {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": True}
    out = client.messages.create(messages=ASK, tool_choice=forced, **common)
    assert out.stop_reason == "tool_use"
    uses = [b for b in out.content if isinstance(b, ToolUseBlock)]
    assert len(uses) == 1
    use = uses[0]
    assert use.name == "get_weather"
    assert use.id
    jsonschema.validate(use.input, SCHEMA)

    # Streamed: the input arrives as JSON pieces; the helper assembles the same block.
    with client.messages.stream(messages=ASK, tool_choice=forced, **common) as stream:
        deltas = [e for e in stream if e.type == "content_block_delta" and e.delta.type == "input_json_delta"]
        final = stream.get_final_message()
    assert len(deltas) > 1
    streamed = [b for b in final.content if isinstance(b, ToolUseBlock)]
    assert [(b.name, b.input) for b in streamed] == [(use.name, use.input)]
    assert final.stop_reason == "tool_use"

    # The result goes back as a tool_result block; the model answers in text.
    follow_up: list[MessageParam] = [
        *ASK,
        {"role": "assistant", "content": out.content},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": use.id, "content": '{"temperature_c": 18}'}],
        },
    ]
    answer = client.messages.create(messages=follow_up, tool_choice={"type": "none"}, **common)
    assert _text(answer)
    assert not [b for b in answer.content if isinstance(b, ToolUseBlock)]
    assert answer.stop_reason in ("end_turn", "max_tokens")


def test_count_tokens_matches_the_prompt(client: anthropic.Anthropic, model: str) -> None:
    counted = client.messages.count_tokens(model=model, messages=HI, system="Be brief.")
    used = client.messages.create(model=model, max_tokens=1, messages=HI, system="Be brief.")
    assert counted.input_tokens == used.usage.input_tokens


def test_typed_errors(client: anthropic.Anthropic, model: str) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="no-such-model", max_tokens=4, messages=HI)
    assert missing.value.status_code == 404
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError) as bad:
        client.messages.create(model=model, max_tokens=4, messages=HI, extra_body={"temperature": 1.5})
    assert bad.value.body["type"] == "error"  # type: ignore[index]
    assert bad.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert "temperature" in bad.value.message
