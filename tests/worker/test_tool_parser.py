"""The streaming tool-call parser, fed recorded outputs split at every delta boundary.

For each recorded output (what Hermes/Qwen, Llama 3.x, Mistral and the
fallback template's models write), the parser reads it in one piece, then
split at every single position, then one character per delta. The deltas of
every split must reassemble into exactly the one-piece result: the same
content (nothing lost, nothing twice), the same calls, each call's id and
name arriving once and before its arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from helixflow.worker.engine import ToolCall, ToolCallDelta
from helixflow.worker.tools.parser import ToolCallParser, call_id


@dataclass
class Reassembled:
    content: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    deltas: list[ToolCallDelta] = field(default_factory=list)


def run(fmt: str, pieces: list[str], max_calls: int | None = None) -> Reassembled:
    parser = ToolCallParser(fmt, request_id="req-1", max_calls=max_calls)
    out = Reassembled()
    for piece in pieces:
        content, deltas = parser.feed(piece)
        out.content += content
        out.deltas += deltas
    content, deltas = parser.finish()
    out.content += content
    out.deltas += deltas
    # Rebuild the calls from the deltas alone, the way a client does.
    names: dict[int, tuple[str, str]] = {}
    args: dict[int, str] = {}
    for d in out.deltas:
        if d.name:
            assert d.index not in names, "a call's id and name must come once"
            assert d.index == len(names), "calls start in index order"
            names[d.index] = (d.id, d.name)
            args[d.index] = ""
        else:
            assert d.index in names, "arguments before the call's name"
            assert not d.id
            args[d.index] += d.arguments
    out.calls = [ToolCall(id=names[i][0], name=names[i][1], arguments=args[i]) for i in sorted(names)]
    assert out.calls == parser.calls, "Complete's calls must equal the reassembled deltas"
    return out


def splits(text: str) -> list[list[str]]:
    """Two pieces at every split point, and one character per delta."""
    return [[text[:k], text[k:]] for k in range(1, len(text))] + [list(text)]


def call(index: int, name: str, arguments: object) -> ToolCall:
    return ToolCall(id=call_id("req-1", index), name=name, arguments=json.dumps(arguments))


# (format, recorded output, expected content, expected calls)
RECORDED: list[tuple[str, str, str, list[ToolCall]]] = [
    (  # Qwen 2.5 / Hermes: one call, no text
        "hermes",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>',
        "",
        [call(0, "get_weather", {"city": "Paris", "unit": "celsius"})],
    ),
    (  # Hermes: text first, two parallel calls, braces and an escaped quote inside strings
        "hermes",
        "Let me check both.\n<tool_call>\n"
        '{"name": "search", "arguments": {"q": "a {b} \\"c\\" </tool", "n": [1, 2]}}\n</tool_call>\n'
        '<tool_call>\n{"arguments": {"x": 1.5e3, "ok": true, "none": null}, "name": "calc"}\n</tool_call>',
        "Let me check both.\n",
        [
            ToolCall(call_id("req-1", 0), "search", '{"q": "a {b} \\"c\\" </tool", "n": [1, 2]}'),
            ToolCall(call_id("req-1", 1), "calc", '{"x": 1.5e3, "ok": true, "none": null}'),
        ],
    ),
    (  # Hermes: arguments written as a JSON string, text after the call, a "<" in content
        "hermes",
        'a < b <tool_call>{"name": "f", "arguments": "{\\"k\\": 2}"}</tool_call> done',
        "a < b done",
        [call(0, "f", {"k": 2})],
    ),
    (  # Hermes: a block that holds no call stays content; a call without arguments
        "hermes",
        '<tool_call>not json</tool_call>\n<tool_call>{"name": "ping"}</tool_call>',
        "<tool_call>not json</tool_call>",
        [ToolCall(call_id("req-1", 0), "ping", "{}")],
    ),
    (  # Hermes with plain text only, including an incomplete marker at the end
        "hermes",
        "Paris is the capital of France. <tool_",
        "Paris is the capital of France. <tool_",
        [],
    ),
    (  # HelixFlow's fallback template: the grammar's exact output under tool_choice=required
        "hermes",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_time", "arguments": {"zone":"CET"}}\n</tool_call>',
        "",
        [
            ToolCall(call_id("req-1", 0), "get_weather", '{"city":"Paris"}'),
            ToolCall(call_id("req-1", 1), "get_time", '{"zone":"CET"}'),
        ],
    ),
    (  # Llama 3.1 JSON
        "llama3_json",
        '{"name": "get_weather", "parameters": {"city": "San Francisco, CA"}}',
        "",
        [call(0, "get_weather", {"city": "San Francisco, CA"})],
    ),
    (  # Llama 3.2: python tag, two calls separated by ";", "type" first
        "llama3_json",
        '<|python_tag|>{"type": "function", "name": "a", "parameters": {"v": [1, {"w": "}"}]}}; '
        '{"name": "b", "parameters": {}}',
        "",
        [ToolCall(call_id("req-1", 0), "a", '{"v": [1, {"w": "}"}]}'), ToolCall(call_id("req-1", 1), "b", "{}")],
    ),
    (  # Llama 3: an answer that is JSON but no call is content
        "llama3_json",
        '  {"type": "object", "value": 3}',
        '{"type": "object", "value": 3}',
        [],
    ),
    (  # Llama 3: plain text
        "llama3_json",
        "The weather in Paris is sunny.",
        "The weather in Paris is sunny.",
        [],
    ),
    (  # Mistral v3: text, then a list of calls
        "mistral",
        'Sure. [TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}, '
        '{"name": "get_time", "arguments": {"tz": "[CET]"}}]',
        "Sure. ",
        [call(0, "get_weather", {"city": "Paris"}), call(1, "get_time", {"tz": "[CET]"})],
    ),
    (  # Mistral v11: name[ARGS]{...}, twice
        "mistral",
        '[TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{"tz": "CET"}',
        "",
        [call(0, "get_weather", {"city": "Paris"}), call(1, "get_time", {"tz": "CET"})],
    ),
    (  # Mistral: text only, with brackets
        "mistral",
        "Use [brackets] freely [T",
        "Use [brackets] freely [T",
        [],
    ),
]


@pytest.mark.parametrize(("fmt", "text", "content", "calls"), RECORDED, ids=lambda v: str(v)[:30])
def test_every_split_reassembles_to_the_unsplit_result(
    fmt: str, text: str, content: str, calls: list[ToolCall]
) -> None:
    whole = run(fmt, [text])
    assert whole.content == content
    assert whole.calls == calls
    for call_ in whole.calls:
        json.loads(call_.arguments)
    for pieces in splits(text):
        got = run(fmt, pieces)
        assert (got.content, got.calls) == (whole.content, whole.calls), pieces


def test_arguments_stream_while_they_are_generated() -> None:
    # The property the vLLM bug reports are about: the call must not arrive in one piece at the end.
    text = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n</tool_call>'
    got = run("hermes", list(text))
    first = next(i for i, d in enumerate(got.deltas) if d.name)
    fragments = [d.arguments for d in got.deltas[first + 1 :]]
    assert got.deltas[first].arguments == ""
    assert len(fragments) >= len('{"city": "Paris", "unit": "celsius"}') - 1
    assert all(fragments)


def test_name_arrives_before_the_arguments_are_closed() -> None:
    parser = ToolCallParser("hermes", request_id="r")
    _, deltas = parser.feed('<tool_call>{"name": "get_weather", "arguments": {"ci')
    assert deltas == [ToolCallDelta(0, call_id("r", 0), "get_weather", ""), ToolCallDelta(0, arguments='{"ci')]


def test_a_partial_end_tag_is_never_streamed_as_arguments() -> None:
    parser = ToolCallParser("hermes", request_id="r")
    parser.feed('<tool_call>{"name": "f", "arguments": {"a": 1')
    _, deltas = parser.feed("</tool_c")
    assert deltas == []


def test_max_calls_keeps_only_the_first_call() -> None:
    text = '<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>{"name": "b", "arguments": {}}</tool_call>'
    for pieces in [[text], *splits(text)]:
        got = run("hermes", pieces, max_calls=1)
        assert [c.name for c in got.calls] == ["a"]
