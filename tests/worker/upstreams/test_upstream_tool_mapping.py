"""Tool fields as the OpenAI and Anthropic request bodies, and streamed calls back
(no server: the translation itself; tests against llama-server are in test_upstream_tools)."""

from __future__ import annotations

import json

import pytest

from helixflow.common.errors import InvalidArgument
from helixflow.worker.backends import upstream_tools as tools
from helixflow.worker.backends.openai_compat import prompt_body
from helixflow.worker.engine import ChatPrompt, Message, Tool, ToolCall, ToolChoiceMode, ToolSpec

WEATHER = Tool("get_weather", "Weather now", '{"type": "object", "properties": {"city": {"type": "string"}}}')
TIME = Tool("get_time")
CALL = ToolCall("call_1", "get_weather", '{"city": "Paris"}')
HISTORY = (
    Message("system", "Be brief."),
    Message("user", "Weather in Paris and the time?"),
    Message("assistant", "", tool_calls=(CALL, ToolCall("call_2", "get_time", ""))),
    Message("tool", "18C, sunny", tool_call_id="call_1"),
    Message("tool", "12:00", tool_call_id="call_2"),
    Message("user", "Thanks"),
)


@pytest.mark.parametrize(
    ("choice", "function", "openai", "anthropic"),
    [
        (ToolChoiceMode.AUTO, "", "auto", {"type": "auto"}),
        (ToolChoiceMode.NONE, "", "none", {"type": "none"}),
        (ToolChoiceMode.REQUIRED, "", "required", {"type": "any"}),
        (
            ToolChoiceMode.FUNCTION,
            "get_time",
            {"type": "function", "function": {"name": "get_time"}},
            {"type": "tool", "name": "get_time"},
        ),
    ],
)
def test_tool_choice_maps_to_each_api(
    choice: ToolChoiceMode, function: str, openai: object, anthropic: dict[str, object]
) -> None:
    spec = ToolSpec((WEATHER, TIME), choice, function)
    body = tools.openai_tools(spec)
    assert body["tool_choice"] == openai
    assert body["parallel_tool_calls"] is True
    assert body["tools"][0] == {
        "type": "function",
        "function": {"name": "get_weather", "description": "Weather now", "parameters": json.loads(WEATHER.parameters)},
    }
    assert body["tools"][1]["function"] == {"name": "get_time", "parameters": {"type": "object", "properties": {}}}
    messages = tools.anthropic_tools(spec)
    assert messages["tool_choice"] == anthropic
    assert messages["tools"][0] == {
        "name": "get_weather",
        "description": "Weather now",
        "input_schema": json.loads(WEATHER.parameters),
    }


def test_parallel_off_is_sent_to_both_apis() -> None:
    spec = ToolSpec((WEATHER,), ToolChoiceMode.REQUIRED, parallel=False)
    assert tools.openai_tools(spec)["parallel_tool_calls"] is False
    assert tools.anthropic_tools(spec)["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert "disable_parallel_tool_use" not in tools.anthropic_tools(ToolSpec((WEATHER,), ToolChoiceMode.NONE))


def test_openai_history_carries_calls_and_results() -> None:
    path, body = prompt_body(ChatPrompt(HISTORY))
    assert path == "/chat/completions"
    assistant, first_result = body["messages"][2], body["messages"][3]
    assert assistant == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
        ],
    }
    assert first_result == {"role": "tool", "content": "18C, sunny", "tool_call_id": "call_1"}


def test_anthropic_history_has_tool_use_and_one_user_turn_of_results() -> None:
    turns = tools.anthropic_messages(HISTORY)
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "user"]
    assert turns[1]["content"] == [
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
        {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}},
    ]
    assert turns[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "18C, sunny"},
        {"type": "tool_result", "tool_use_id": "call_2", "content": "12:00"},
    ]
    assert turns[3] == {"role": "user", "content": "Thanks"}
    bad = (Message("assistant", "", tool_calls=(ToolCall("c", "f", "[1]"),)),)
    with pytest.raises(InvalidArgument, match="not a JSON object"):
        tools.anthropic_messages(bad)


@pytest.mark.parametrize("cut", range(1, 12))
def test_streamed_pieces_become_one_call_at_every_boundary(cut: int) -> None:
    arguments = '{"city": "Paris"}'
    collector = tools.ToolCallCollector()
    chunks = [
        {"tool_calls": [{"index": 0, "id": "call_x", "function": {"name": "get_weather", "arguments": ""}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[:cut]}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[cut:]}}]},
        {"tool_calls": [{"index": 1, "function": {"name": "get_time", "arguments": "{}"}}]},
    ]
    deltas = [d for chunk in chunks for d in tools.openai_deltas(chunk, collector)]
    assert (deltas[0].index, deltas[0].id, deltas[0].name) == (0, "call_x", "get_weather")
    assert all(not d.id and not d.name for d in deltas[1:3])
    assert "".join(d.arguments for d in deltas if d.index == 0) == arguments
    assert deltas[3].index == 1
    assert deltas[3].id.startswith("call_")  # the upstream gave none: one is made up
    calls = collector.calls()
    assert calls == [ToolCall("call_x", "get_weather", arguments), ToolCall(deltas[3].id, "get_time", "{}")]
