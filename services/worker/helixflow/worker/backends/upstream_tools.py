"""Tool calling through the upstream backends: our ToolSpec and tool history as the
OpenAI Chat Completions and Anthropic Messages fields, and their streamed calls back.

The upstream renders the tools and parses the model's calls (``tool_parser``
"upstream"); we only translate. Streamed calls come back as ``ToolCallDelta``
(id and name first, then argument fragments, one index per call in order) and
complete in ``Finished.tool_calls``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from helixflow.common.errors import InvalidArgument
from helixflow.worker.engine import Message, ToolCall, ToolCallDelta, ToolChoiceMode, ToolSpec

TOOL_PARSER = "upstream"
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}


def _schema(parameters: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(parameters) if parameters else dict(_EMPTY_SCHEMA)
    return schema


def _arguments(call: ToolCall, where: str) -> dict[str, Any]:
    try:
        value = json.loads(call.arguments or "{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{where}: tool call {call.id!r} has arguments that are not a JSON object", field=where)
    return value


# --- OpenAI Chat Completions -------------------------------------------------------


def openai_tools(spec: ToolSpec) -> dict[str, Any]:
    """``tools``, ``tool_choice`` and ``parallel_tool_calls`` for a chat request."""
    tools = [
        {
            "type": "function",
            "function": {
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "parameters": _schema(t.parameters),
            },
        }
        for t in spec.tools
    ]
    choice: Any = spec.choice.value
    if spec.choice is ToolChoiceMode.FUNCTION:
        choice = {"type": "function", "function": {"name": spec.function}}
    return {"tools": tools, "tool_choice": choice, "parallel_tool_calls": spec.parallel}


def openai_message(m: Message) -> dict[str, Any]:
    """One history message, tool calls and tool results included."""
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.name:
        out["name"] = m.name
    if m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments or "{}"}}
            for c in m.tool_calls
        ]
    if m.role == "tool":
        out["tool_call_id"] = m.tool_call_id
    return out


class ToolCallCollector:
    """Streamed call pieces in, our deltas out, and the complete calls at the end."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._names: list[str] = []
        self._args: list[list[str]] = []
        self._by_key: dict[object, int] = {}

    def piece(self, key: object, *, call_id: str = "", name: str = "", arguments: str = "") -> ToolCallDelta:
        """A piece of the call the upstream knows as ``key`` (its index or block number)."""
        index = self._by_key.get(key)
        if index is None:
            index = self._by_key[key] = len(self._ids)
            self._ids.append(call_id or f"call_{secrets.token_hex(12)}")
            self._names.append(name)
            self._args.append([])
            call_id = self._ids[index]
        elif name and not self._names[index]:
            self._names[index], call_id = name, ""
        else:
            call_id, name = "", ""  # sent once, with the first piece of the call
        if arguments:
            self._args[index].append(arguments)
        return ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(id=i, name=n, arguments="".join(a) or "{}")
            for i, n, a in zip(self._ids, self._names, self._args, strict=True)
        ]

    def __bool__(self) -> bool:
        return bool(self._ids)


def openai_deltas(delta: dict[str, Any], collector: ToolCallCollector) -> list[ToolCallDelta]:
    """Our deltas for the ``tool_calls`` of one streamed chat delta."""
    out: list[ToolCallDelta] = []
    for raw in delta.get("tool_calls") or ():
        function = raw.get("function") or {}
        out.append(
            collector.piece(
                raw.get("index", len(out)),
                call_id=str(raw.get("id") or ""),
                name=str(function.get("name") or ""),
                arguments=str(function.get("arguments") or ""),
            )
        )
    return out


# --- Anthropic Messages ----------------------------------------------------------


def anthropic_tools(spec: ToolSpec) -> dict[str, Any]:
    """``tools`` and ``tool_choice`` (with disable_parallel_tool_use) for a Messages request."""
    tools = [
        {
            "name": t.name,
            **({"description": t.description} if t.description else {}),
            "input_schema": _schema(t.parameters),
        }
        for t in spec.tools
    ]
    choice: dict[str, Any] = {
        ToolChoiceMode.AUTO: {"type": "auto"},
        ToolChoiceMode.NONE: {"type": "none"},
        ToolChoiceMode.REQUIRED: {"type": "any"},
        ToolChoiceMode.FUNCTION: {"type": "tool", "name": spec.function},
    }[spec.choice]
    if not spec.parallel and spec.choice is not ToolChoiceMode.NONE:
        choice["disable_parallel_tool_use"] = True
    return {"tools": tools, "tool_choice": choice}


def anthropic_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """The conversation without system turns, as Messages API turns: assistant tool calls
    become ``tool_use`` blocks, and tool results ``tool_result`` blocks of one user turn."""
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {"type": "tool_result", "tool_use_id": m.tool_call_id, "content": m.content}
            last = out[-1] if out else None
            if last is not None and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.tool_calls:
            blocks: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": _arguments(c, f"messages[{i}].tool_calls")}
                for c in m.tool_calls
            ]
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m.role, "content": m.content})
    return out
