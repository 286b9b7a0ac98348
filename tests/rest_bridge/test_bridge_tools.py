"""OpenAI tool calling through the bridge, against the scripted router: shapes, streaming, 400s."""

from __future__ import annotations

import json

import httpx
import orjson
from bridge_testing.fake_router import TOOL_ARGUMENT_PIECES
from bridge_testing.stack import FakeStack

from helixflow.v1 import common_pb2

CHAT = "/v1/chat/completions"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = [{"role": "user", "content": "call-tool please"}]


def body(**extra: object) -> dict[str, object]:
    return {"model": "fake-model", "messages": ASK, "tools": [WEATHER], **extra}


def test_tools_reach_the_router_in_contract_form(http: httpx.Client, fake_stack: FakeStack) -> None:
    history = [
        *ASK,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_9", "content": '{"temp": 3}'},
    ]
    choice = {"type": "function", "function": {"name": "get_weather"}}
    r = http.post(CHAT, json=body(messages=history, tool_choice=choice, parallel_tool_calls=False))
    assert r.status_code == 200, r.text
    req = fake_stack.servicer.last_request
    assert req is not None
    assert [(t.name, t.description, json.loads(t.parameters)) for t in req.tools] == [
        ("get_weather", "Weather in a city", WEATHER["function"]["parameters"])  # type: ignore[index]
    ]
    assert req.tool_choice.function_name == "get_weather"
    assert req.HasField("parallel_tool_calls")
    assert not req.parallel_tool_calls
    assistant, tool = req.messages.messages[1], req.messages.messages[2]
    assert assistant.role == common_pb2.ROLE_ASSISTANT
    assert [(c.id, c.name, c.arguments) for c in assistant.tool_calls] == [("call_9", "get_weather", '{"city":"Oslo"}')]
    assert (tool.role, tool.tool_call_id, tool.content) == (common_pb2.ROLE_TOOL, "call_9", '{"temp": 3}')
    for mode, value in [("auto", common_pb2.TOOL_CHOICE_MODE_AUTO), ("required", common_pb2.TOOL_CHOICE_MODE_REQUIRED)]:
        assert http.post(CHAT, json=body(tool_choice=mode)).status_code == 200
        assert fake_stack.servicer.last_request is not None
        assert fake_stack.servicer.last_request.tool_choice.mode == value


def test_non_streaming_tool_call_shape(http: httpx.Client) -> None:
    r = http.post(CHAT, json=body())
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    assert choice["message"]["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ]


def test_streaming_tool_call_chunks(http: httpx.Client) -> None:
    r = http.post(CHAT, json=body(stream=True))
    assert r.status_code == 200
    events = [e.removeprefix(b"data: ") for e in r.content.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    deltas = [orjson.loads(e)["choices"][0] for e in events[:-1]]
    calls = [d["delta"]["tool_calls"] for d in deltas if "tool_calls" in d["delta"]]
    # The first chunk of the call: id, type and name (arguments empty); then argument fragments only.
    assert calls[0] == [
        {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    ]
    assert calls[1:] == [[{"index": 0, "function": {"arguments": frag}}] for frag in TOOL_ARGUMENT_PIECES]
    assert "".join(d["delta"].get("content") or "" for d in deltas) == "Let me check."
    assert [d["finish_reason"] for d in deltas if d["finish_reason"]] == ["tool_calls"]


def test_bad_tools_are_400s_naming_the_param(http: httpx.Client) -> None:
    bad_schema = {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
    bad_props = {"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": [1]}}}
    cases = [
        (body(tool_choice={"type": "function", "function": {"name": "nope"}}), "tool_choice.function.name"),
        (body(tools=[bad_schema]), "tools[0].function.parameters"),
        (body(tools=[WEATHER, bad_props]), "tools[1].function.parameters"),
        (body(tools=[WEATHER, WEATHER]), "tools[1].function.name"),
        (body(tools=[{"type": "function", "function": {"name": "has space"}}]), "tools[0].function.name"),
        ({"model": "fake-model", "messages": ASK, "tool_choice": "required"}, "tool_choice"),
        (body(messages=[{"role": "tool", "content": "x"}]), "messages[0].tool_call_id"),
        (body(tool_choice="sometimes"), "tool_choice"),
    ]
    for request, param in cases:
        r = http.post(CHAT, json=request)
        assert r.status_code == 400, (param, r.text)
        assert r.json()["error"]["param"] == param, r.text
