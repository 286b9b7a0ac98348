"""The Responses API against the scripted router: what reaches the router, the stored
conversation, privacy per key, the event sequence with a tool call, and failures."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from bridge_testing.fake_router import TOOL_ARGUMENT_PIECES
from bridge_testing.stack import FakeStack

from helixflow.v1 import common_pb2

R = "/v1/responses"
WEATHER = {"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}
ANSWER = "Hello world! seed 0"  # what the scripted router writes


def events(reply: httpx.Response) -> list[dict[str, Any]]:
    out = []
    for block in reply.text.strip().split("\n\n"):
        kind, data = block.split("\n", 1)
        payload = orjson.loads(data.removeprefix("data: "))
        assert kind == f"event: {payload['type']}"
        out.append(payload)
    return out


def sent(fake_stack: FakeStack) -> list[tuple[int, str]]:
    req = fake_stack.servicer.last_request
    assert req is not None
    return [(m.role, m.content) for m in req.messages.messages]


def test_previous_response_id_prepends_the_stored_conversation(http: httpx.Client, fake_stack: FakeStack) -> None:
    first = http.post(R, json={"model": "fake-model", "input": "hello", "instructions": "one"}).json()
    assert sent(fake_stack) == [(common_pb2.ROLE_SYSTEM, "one"), (common_pb2.ROLE_USER, "hello")]
    second = http.post(
        R, json={"model": "fake-model", "input": "again", "instructions": "two", "previous_response_id": first["id"]}
    ).json()
    assert second["previous_response_id"] == first["id"]
    # Instructions are per request (not carried over); input and output items are.
    assert sent(fake_stack) == [
        (common_pb2.ROLE_SYSTEM, "two"),
        (common_pb2.ROLE_USER, "hello"),
        (common_pb2.ROLE_ASSISTANT, ANSWER),
        (common_pb2.ROLE_USER, "again"),
    ]
    http.post(R, json={"model": "fake-model", "input": "third", "previous_response_id": second["id"], "stream": True})
    assert sent(fake_stack) == [
        (common_pb2.ROLE_USER, "hello"),
        (common_pb2.ROLE_ASSISTANT, ANSWER),
        (common_pb2.ROLE_USER, "again"),
        (common_pb2.ROLE_ASSISTANT, ANSWER),
        (common_pb2.ROLE_USER, "third"),
    ]


def test_function_calls_and_outputs_reach_the_router_as_tool_turns(http: httpx.Client, fake_stack: FakeStack) -> None:
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "weather?"}]},
        {"type": "function_call", "call_id": "call_7", "name": "get_weather", "arguments": '{"city":"Oslo"}'},
        {"type": "function_call_output", "call_id": "call_7", "output": "sunny"},
    ]
    reply = http.post(R, json={"model": "fake-model", "input": items, "tools": [WEATHER], "tool_choice": "none"})
    assert reply.status_code == 200, reply.text
    req = fake_stack.servicer.last_request
    assert req is not None
    msgs = req.messages.messages
    assert [m.role for m in msgs] == [common_pb2.ROLE_USER, common_pb2.ROLE_ASSISTANT, common_pb2.ROLE_TOOL]
    assert [(c.id, c.name, c.arguments) for c in msgs[1].tool_calls] == [("call_7", "get_weather", '{"city":"Oslo"}')]
    assert (msgs[2].tool_call_id, msgs[2].content) == ("call_7", "sunny")
    assert req.tool_choice.mode == common_pb2.TOOL_CHOICE_MODE_NONE
    assert [t.name for t in req.tools] == ["get_weather"]


def test_streamed_tool_call_events(http: httpx.Client) -> None:
    reply = http.post(R, json={"model": "fake-model", "input": "call-tool", "tools": [WEATHER], "stream": True})
    assert reply.status_code == 200, reply.text
    evs = events(reply)
    assert [e["sequence_number"] for e in evs] == list(range(len(evs)))
    assert [e["type"] for e in evs] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * len(TOOL_ARGUMENT_PIECES),
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = evs[8]["item"]
    assert (added["type"], added["call_id"], added["name"], added["arguments"]) == (
        "function_call",
        "call_1",
        "get_weather",
        "",
    )
    assert {e["output_index"] for e in evs[8:-1]} == {1}
    final = evs[-1]["response"]
    assert [i["type"] for i in final["output"]] == ["message", "function_call"]
    assert final["output"][0]["content"][0]["text"] == "Let me check."
    assert final["output"][1]["arguments"] == "".join(TOOL_ARGUMENT_PIECES)
    assert final["output"][1]["status"] == "completed"
    assert final["usage"]["total_tokens"] == 8


def test_failure_mid_stream_is_response_failed(http: httpx.Client) -> None:
    reply = http.post(R, json={"model": "fake-model", "input": "fail-mid", "stream": True})
    assert reply.status_code == 200
    evs = events(reply)
    assert evs[-1]["type"] == "response.failed"
    assert evs[-1]["response"]["status"] == "failed"
    assert "worker went away" in evs[-1]["response"]["error"]["message"]
    assert "response.completed" not in [e["type"] for e in evs]


def test_stored_response_lifecycle_and_privacy(http: httpx.Client) -> None:
    alice, bob = {"authorization": "Bearer alice"}, {"authorization": "Bearer bob"}
    items = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "user", "content": "c"}]
    made = http.post(R, json={"model": "fake-model", "input": items}, headers=alice).json()
    rid = made["id"]
    assert http.get(f"{R}/{rid}", headers=alice).json() == made
    # Another key (or none) sees nothing: 404, exactly as for an id that never existed.
    for other in (bob, {}, {"x-api-key": "bob"}):
        assert http.get(f"{R}/{rid}", headers=other).status_code == 404
        assert http.get(f"{R}/{rid}/input_items", headers=other).status_code == 404
        assert http.delete(f"{R}/{rid}", headers=other).status_code == 404
        follow = http.post(R, json={"model": "fake-model", "input": "x", "previous_response_id": rid}, headers=other)
        assert follow.status_code == 404
    page = http.get(f"{R}/{rid}/input_items", params={"order": "asc", "limit": 2}, headers=alice).json()
    assert [i["content"][0]["text"] for i in page["data"]] == ["a", "b"]
    assert page["has_more"] is True
    rest = http.get(f"{R}/{rid}/input_items", params={"order": "asc", "after": page["last_id"]}, headers=alice).json()
    assert [i["content"][0]["text"] for i in rest["data"]] == ["c"]
    assert rest["has_more"] is False
    newest = http.get(f"{R}/{rid}/input_items", headers=alice).json()  # default order: newest first
    assert [i["content"][0]["text"] for i in newest["data"]] == ["c", "b", "a"]
    deleted = http.delete(f"{R}/{rid}", headers=alice)
    assert deleted.json() == {"id": rid, "object": "response.deleted", "deleted": True}
    assert http.get(f"{R}/{rid}", headers=alice).status_code == 404


def test_store_false_keeps_nothing(http: httpx.Client) -> None:
    made = http.post(R, json={"model": "fake-model", "input": "hi", "store": False}).json()
    assert made["store"] is False
    assert http.get(f"{R}/{made['id']}").status_code == 404


def test_unsupported_and_invalid_requests_are_400_naming_the_field(http: httpx.Client) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"tools": [WEATHER, {"type": "file_search"}]}, "tools[1].type"),
        ({"background": True}, "background"),
        ({"reasoning": {"effort": "low"}}, "reasoning"),
        ({"include": ["reasoning.encrypted_content"]}, "include"),
        ({"truncation": "auto"}, "truncation"),
        ({"input": [{"type": "reasoning", "summary": []}]}, "input[0].type"),
        ({"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]}, "input[0].content[0]"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"text": {"format": {"type": "json_schema"}}}, "text.format.name"),
        ({"stream_options": {"include_obfuscation": False}}, "stream_options"),
    ]
    for extra, param in cases:
        reply = http.post(R, json={"model": "fake-model", "input": "hi", **extra})
        assert reply.status_code == 400, (extra, reply.text)
        assert reply.json()["error"]["param"] == param, (extra, reply.text)
    missing = http.post(R, json={"model": "fake-model", "input": "hi", "previous_response_id": "resp_nope"})
    assert missing.status_code == 404
    assert "resp_nope" in missing.json()["error"]["message"]
    # Reasoning with nothing asked is no request for reasoning.
    assert http.post(R, json={"model": "fake-model", "input": "hi", "reasoning": {"effort": None}}).status_code == 200


def test_json_schema_format_reaches_the_router(http: httpx.Client, fake_stack: FakeStack) -> None:
    fmt = {"type": "json_schema", "name": "x", "schema": {"type": "object"}, "strict": True}
    reply = http.post(R, json={"model": "fake-model", "input": "hi", "text": {"format": fmt}, "max_output_tokens": 2})
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "incomplete"
    assert reply.json()["incomplete_details"] == {"reason": "max_output_tokens"}
    req = fake_stack.servicer.last_request
    assert req is not None
    assert orjson.loads(req.sampling.structured_output.json_schema) == {"type": "object"}
    assert req.sampling.max_tokens == 2
