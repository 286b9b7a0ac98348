"""service_tier on Chat Completions and Responses (OpenAI's values) and on Messages
(Anthropic's): the priority that reaches the router, the tier the response names, and a
400 for any other value. This scripted router does not say what it ran a call at, so a
response names the tier asked for (the real router's cap: tests/e2e/test_openai_auth.py)."""

from __future__ import annotations

import httpx
import orjson
import pytest
from bridge_testing.stack import FakeStack

from helixflow.v1 import common_pb2

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"
MSG = [{"role": "user", "content": "hi"}]

CASES = [
    (None, common_pb2.PRIORITY_UNSPECIFIED, "default"),
    ("auto", common_pb2.PRIORITY_UNSPECIFIED, "default"),
    ("default", common_pb2.PRIORITY_UNSPECIFIED, "default"),
    ("flex", common_pb2.PRIORITY_LOW, "flex"),
    ("priority", common_pb2.PRIORITY_HIGH, "priority"),
]


def _with_tier(body: dict[str, object], tier: str | None) -> dict[str, object]:
    return body if tier is None else {**body, "service_tier": tier}


def _sent_priority(fake_stack: FakeStack) -> int:
    req = fake_stack.servicer.last_request
    assert req is not None
    return req.priority


@pytest.mark.parametrize(("tier", "priority", "echo"), CASES)
def test_chat_service_tier_sets_the_priority_and_is_echoed(
    http: httpx.Client, fake_stack: FakeStack, tier: str | None, priority: int, echo: str
) -> None:
    r = http.post(CHAT, json=_with_tier({"model": "fake-model", "messages": MSG}, tier))
    assert r.status_code == 200, r.text
    assert _sent_priority(fake_stack) == priority
    assert r.json()["service_tier"] == echo


def test_chat_stream_chunks_name_the_tier(http: httpx.Client, fake_stack: FakeStack) -> None:
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, "stream": True, "service_tier": "flex"})
    assert r.status_code == 200, r.text
    events = [e.removeprefix(b"data: ") for e in r.content.split(b"\n\n") if e]
    assert events[-1] == b"[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    assert chunks
    assert {c["service_tier"] for c in chunks} == {"flex"}
    assert _sent_priority(fake_stack) == common_pb2.PRIORITY_LOW


@pytest.mark.parametrize(("tier", "priority", "echo"), CASES)
def test_responses_service_tier_sets_the_priority_and_is_echoed(
    http: httpx.Client, fake_stack: FakeStack, tier: str | None, priority: int, echo: str
) -> None:
    r = http.post(RESPONSES, json=_with_tier({"model": "fake-model", "input": "hi", "store": False}, tier))
    assert r.status_code == 200, r.text
    assert _sent_priority(fake_stack) == priority
    assert r.json()["service_tier"] == echo


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
@pytest.mark.parametrize("tier", ["scale", "Priority", "", "standard_only"])
def test_other_tiers_are_a_400_naming_the_field_and_the_accepted_values(
    http: httpx.Client, path: str, tier: str
) -> None:
    body = {"model": "fake-model", "messages": MSG} if path == CHAT else {"model": "fake-model", "input": "hi"}
    r = http.post(path, json={**body, "service_tier": tier})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] == "service_tier"
    for accepted in ("'auto'", "'default'", "'flex'", "'priority'"):
        assert accepted in error["message"]


def test_a_non_string_tier_is_refused(http: httpx.Client) -> None:
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, "service_tier": 3})
    assert r.status_code == 400


ANTHROPIC_CASES = [
    (None, common_pb2.PRIORITY_UNSPECIFIED, "standard"),  # omitted asks for nothing, not for "auto"
    ("auto", common_pb2.PRIORITY_HIGH, "priority"),
    ("standard_only", common_pb2.PRIORITY_NORMAL, "standard"),
]


def _message(tier: str | None, **extra: object) -> dict[str, object]:
    return _with_tier({"model": "fake-model", "max_tokens": 4, "messages": MSG, **extra}, tier)


@pytest.mark.parametrize(("tier", "priority", "served"), ANTHROPIC_CASES)
def test_messages_service_tier_sets_the_priority_and_usage_names_it(
    http: httpx.Client, fake_stack: FakeStack, tier: str | None, priority: int, served: str
) -> None:
    r = http.post(MESSAGES, json=_message(tier))
    assert r.status_code == 200, r.text
    assert _sent_priority(fake_stack) == priority
    usage = r.json()["usage"]
    assert usage["service_tier"] == served
    assert usage["output_tokens"] > 0


def test_a_streamed_message_names_its_tier_in_message_start(http: httpx.Client, fake_stack: FakeStack) -> None:
    r = http.post(MESSAGES, json=_message("auto", stream=True))
    assert r.status_code == 200, r.text
    start = orjson.loads(r.text.split("data: ", 1)[1].split("\n", 1)[0])
    assert start["type"] == "message_start"
    assert start["message"]["usage"]["service_tier"] == "priority"
    assert _sent_priority(fake_stack) == common_pb2.PRIORITY_HIGH


@pytest.mark.parametrize("tier", ["priority", "standard", "default", "Auto", "", 3])
def test_other_anthropic_tiers_are_a_400_naming_the_accepted_values(http: httpx.Client, tier: object) -> None:
    r = http.post(MESSAGES, json={**_message(None), "service_tier": tier})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error"
    if isinstance(tier, str):  # a non-string fails the schema first, with its own message
        assert "'auto'" in error["message"]
        assert "'standard_only'" in error["message"]
