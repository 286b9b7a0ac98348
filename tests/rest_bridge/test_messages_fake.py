"""The Anthropic Messages API against the scripted router: the contract form of blocks,
the key headers, Anthropic's error schema and status codes, and the raw event stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
from bridge_testing.fake_router import TOOL_ARGUMENT_PIECES
from bridge_testing.stack import FakeStack

from helixflow.v1 import common_pb2

M = "/v1/messages"
WEATHER = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "fake-model", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}], **extra}


def events(reply: httpx.Response) -> list[dict[str, Any]]:
    out = []
    for block in reply.text.strip().split("\n\n"):
        kind, data = block.split("\n", 1)
        payload = orjson.loads(data.removeprefix("data: "))
        assert kind == f"event: {payload['type']}"
        out.append(payload)
    return out


def test_blocks_reach_the_router_in_contract_form(http: httpx.Client, fake_stack: FakeStack) -> None:
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": "sunny"}]},
                {"type": "text", "text": "and tomorrow?"},
            ],
        },
    ]
    extra = {
        "system": [{"type": "text", "text": "Be brief."}],
        "stop_sequences": ["END"],
        "top_k": 5,
        "temperature": 0.5,
        "tools": [WEATHER],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "metadata": {"user_id": "u1"},
    }
    reply = http.post(M, json=body(messages=messages, **extra))
    assert reply.status_code == 200, reply.text
    req = fake_stack.servicer.last_request
    assert req is not None
    msgs = req.messages.messages
    assert [(m.role, m.content) for m in msgs] == [
        (common_pb2.ROLE_SYSTEM, "Be brief."),
        (common_pb2.ROLE_USER, "weather?"),
        (common_pb2.ROLE_ASSISTANT, "Checking."),
        (common_pb2.ROLE_TOOL, "sunny"),
        (common_pb2.ROLE_USER, "and tomorrow?"),
    ]
    call = msgs[2].tool_calls[0]
    assert (call.id, call.name, json.loads(call.arguments)) == ("toolu_1", "get_weather", {"city": "Oslo"})
    assert msgs[3].tool_call_id == "toolu_1"
    assert req.tool_choice.mode == common_pb2.TOOL_CHOICE_MODE_REQUIRED
    assert req.parallel_tool_calls is False
    assert (req.sampling.max_tokens, list(req.sampling.stop), req.sampling.top_k) == (16, ["END"], 5)
    assert abs(req.sampling.temperature - 0.5) < 1e-6
    assert req.user == "u1"


def test_non_streamed_tool_use(http: httpx.Client) -> None:
    reply = http.post(M, json=body(messages=[{"role": "user", "content": "call-tool"}], tools=[WEATHER]))
    out = reply.json()
    assert out["stop_reason"] == "tool_use"
    assert out["content"] == [
        {"type": "text", "text": "Let me check."},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": json.loads("".join(TOOL_ARGUMENT_PIECES))},
    ]
    assert out["usage"]["input_tokens"] == 3


def test_x_api_key_is_forwarded_as_bearer(http: httpx.Client, fake_stack: FakeStack) -> None:
    http.post(M, json=body(), headers={"x-api-key": "sk-ant-1"})
    assert fake_stack.servicer.last_metadata["authorization"] == "Bearer sk-ant-1"
    http.post(M, json=body(), headers={"x-api-key": "ignored", "authorization": "Bearer wins"})
    assert fake_stack.servicer.last_metadata["authorization"] == "Bearer wins"


def test_errors_use_anthropics_schema_and_statuses(http: httpx.Client) -> None:
    def error(reply: httpx.Response) -> tuple[int, str]:
        data = reply.json()
        assert data["type"] == "error"
        assert data["error"]["message"]
        return reply.status_code, data["error"]["type"]

    no_max = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}
    assert error(http.post(M, json=no_max)) == (400, "invalid_request_error")
    assert error(http.post(M, json=body(model="nope"))) == (404, "not_found_error")
    assert error(http.post(M, json=body(), headers={"x-api-key": "bad"})) == (401, "authentication_error")
    assert error(http.post(M, json=body(), headers={"authorization": "Bearer bad"})) == (401, "authentication_error")
    busy = http.post(M, json=body(messages=[{"role": "user", "content": "busy"}]))
    assert error(busy) == (529, "overloaded_error")
    assert busy.headers["retry-after"] == "3"
    assert error(http.post(M, content=b"{}", headers={"content-type": "text/plain"})) == (415, "invalid_request_error")
    assert error(http.post(M, content=b"{not json", headers={"content-type": "application/json"}))[0] == 400
    image = [{"role": "user", "content": [{"type": "image", "source": {}}]}]
    bad_block = http.post(M, json=body(messages=image))
    assert error(bad_block) == (400, "invalid_request_error")
    assert "'image'" in bad_block.json()["error"]["message"]
    thinking = http.post(M, json=body(thinking={"type": "enabled", "budget_tokens": 1024}))
    assert error(thinking) == (400, "invalid_request_error")
    assert "thinking" in thinking.json()["error"]["message"]
    server_tool = http.post(M, json=body(tools=[{"type": "web_search_20250305", "name": "web_search"}]))
    assert error(server_tool) == (400, "invalid_request_error")
    # The OpenAI endpoints keep OpenAI's schema.
    assert "type" not in http.post("/v1/chat/completions", json={"model": "nope", "messages": []}).json()


def test_streamed_events(http: httpx.Client) -> None:
    reply = http.post(M, json=body(messages=[{"role": "user", "content": "call-tool"}], tools=[WEATHER], stream=True))
    assert reply.status_code == 200
    evs = events(reply)
    assert [e["type"] for e in evs] == [
        "message_start",
        "ping",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        *["content_block_delta"] * len(TOOL_ARGUMENT_PIECES),
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    assert evs[0]["message"]["content"] == []
    assert evs[2]["content_block"] == {"type": "text", "text": ""}
    assert evs[5]["content_block"] == {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {}}
    pieces = [e["delta"]["partial_json"] for e in evs[6:-3]]
    assert pieces == TOOL_ARGUMENT_PIECES
    assert {e["index"] for e in evs[5:-2]} == {1}
    assert evs[-2]["delta"] == {"stop_reason": "tool_use", "stop_sequence": None}
    assert evs[-2]["usage"]["output_tokens"] == 5


def test_failure_mid_stream_is_an_error_event(http: httpx.Client) -> None:
    reply = http.post(M, json=body(messages=[{"role": "user", "content": "fail-mid"}], stream=True))
    evs = events(reply)
    assert evs[-1]["type"] == "error"
    assert evs[-1]["error"]["type"] == "api_error"  # a lost worker, not a busy service
    assert "message_stop" not in [e["type"] for e in evs]


def test_count_tokens(http: httpx.Client, fake_stack: FakeStack) -> None:
    reply = http.post(f"{M}/count_tokens", json={"model": "fake-model", "messages": [{"role": "user", "content": "x"}]})
    assert reply.json() == {"input_tokens": 2}  # the scripted router's two token ids
    missing = http.post(f"{M}/count_tokens", json={"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found_error"
