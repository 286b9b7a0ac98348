"""The response cache key covers tools: a tool call is never replayed for another tool list."""

from __future__ import annotations

from helixflow.router.access.cache.response import _CACHEABLE_FINISH, cache_key
from helixflow.v1 import common_pb2, inference_pb2


def request(*tools: tuple[str, str], **kwargs: object) -> inference_pb2.GenerateRequest:
    req = inference_pb2.GenerateRequest(model="m", request_id="r1", **kwargs)  # type: ignore[arg-type]
    req.messages.messages.add(role=common_pb2.ROLE_USER, content="weather in Paris?")
    req.sampling.temperature = 0.0
    for name, params in tools:
        req.tools.add(name=name, parameters=params)
    return req


def test_key_changes_with_the_tool_list_choice_and_parallel_flag() -> None:
    base = request(("get_weather", '{"type": "object"}'))
    keys = {
        cache_key(base, "m"),
        cache_key(request(), "m"),
        cache_key(request(("get_time", '{"type": "object"}')), "m"),
        cache_key(request(("get_weather", '{"type": "object", "properties": {}}')), "m"),
        cache_key(request(("get_weather", '{"type": "object"}'), ("get_time", "")), "m"),
        cache_key(
            request(
                ("get_weather", '{"type": "object"}'), tool_choice=common_pb2.ToolChoice(function_name="get_weather")
            ),
            "m",
        ),
        cache_key(request(("get_weather", '{"type": "object"}'), parallel_tool_calls=False), "m"),
    }
    assert len(keys) == 7
    # Per-call fields still do not matter.
    again = request(("get_weather", '{"type": "object"}'))
    again.request_id = "r2"
    assert cache_key(again, "m") == cache_key(base, "m")


def test_tool_call_responses_are_cacheable() -> None:
    assert common_pb2.FINISH_REASON_TOOL_CALLS in _CACHEABLE_FINISH
