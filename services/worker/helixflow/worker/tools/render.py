"""Tools in the prompt: what chat templates receive, and the fallback's text format.

A chat template that knows tools (its source mentions ``tools``) gets them the
way llama.cpp and transformers pass them: ``tools`` as a list of
``{"type": "function", "function": {name, description, parameters}}``,
assistant messages with ``tool_calls`` (``{"id", "type": "function",
"function": {"name", "arguments"}}``, arguments as a parsed object), and
``role: "tool"`` messages with ``tool_call_id``.

Every other case (no template, or one without tool support) uses the
fallback tool format, which is Hermes-style so the ``hermes`` parser reads it:

- the system message gains ``TOOL_INSTRUCTIONS`` with each tool's JSON;
- an assistant turn's calls are written as
  ``<tool_call>\\n{"name": "f", "arguments": {...}}\\n</tool_call>`` blocks;
- tool results become a user turn of ``<tool_response>\\n...\\n</tool_response>`` blocks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from helixflow.worker.engine import Message, Tool, ToolCall

TOOL_INSTRUCTIONS = (
    "You can call functions. Each one is described by a JSON schema:\n<tools>\n{tools}\n</tools>\n"
    "To call functions, answer with one block per call and nothing else:\n"
    '<tool_call>\n{{"name": "<function name>", "arguments": <arguments as a JSON object>}}\n</tool_call>\n'
    "Results come back in <tool_response> blocks."
)


def parameters_schema(tool: Tool) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(tool.parameters) if tool.parameters else {"type": "object", "properties": {}}
    return schema


def tool_json(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name, "description": tool.description}
    function["parameters"] = parameters_schema(tool)
    return {"type": "function", "function": function}


def _arguments(call: ToolCall) -> Any:
    try:
        return json.loads(call.arguments)
    except ValueError:
        return call.arguments


def template_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as tool-aware templates expect them."""
    out: list[dict[str, Any]] = []
    for m in messages:
        d: dict[str, Any] = {"role": m.role, "content": m.content, "name": m.name}
        if m.tool_calls:
            d["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": _arguments(c)}}
                for c in m.tool_calls
            ]
        if m.role == "tool":
            d["tool_call_id"] = m.tool_call_id
        out.append(d)
    return out


def call_block(call: ToolCall) -> str:
    arguments = call.arguments if isinstance(_arguments(call), dict) else json.dumps(call.arguments)
    return f'<tool_call>\n{{"name": {json.dumps(call.name)}, "arguments": {arguments}}}\n</tool_call>'


def as_plain_messages(messages: Sequence[Message], tools: Sequence[Tool]) -> list[Message]:
    """The conversation in the fallback tool format, with only system, user and assistant turns."""
    out: list[Message] = []
    if tools:
        listing = "\n".join(json.dumps(tool_json(t), ensure_ascii=False) for t in tools)
        instructions = TOOL_INSTRUCTIONS.format(tools=listing)
        if messages and messages[0].role == "system":
            out.append(Message("system", f"{messages[0].content}\n\n{instructions}", messages[0].name))
            messages = messages[1:]
        else:
            out.append(Message("system", instructions))
    for m in messages:
        if m.role == "tool":
            block = f"<tool_response>\n{m.content}\n</tool_response>"
            if out and out[-1].role == "user" and out[-1].content.startswith("<tool_response>"):
                out[-1] = Message("user", f"{out[-1].content}\n{block}")
            else:
                out.append(Message("user", block))
        elif m.tool_calls:
            blocks = "\n".join(call_block(c) for c in m.tool_calls)
            text = f"{m.content}\n{blocks}" if m.content else blocks
            out.append(Message("assistant", text, m.name))
        else:
            out.append(m)
    return out


def parser_for_template(source: str | None) -> str:
    """The tool-call format a model writes, from its chat template."""
    if source and "[TOOL_CALLS]" in source:
        return "mistral"
    if source and "<tool_call>" in source:
        return "hermes"
    if source and "tools" in source and ("<|python_tag|>" in source or "<|start_header_id|>" in source):
        return "llama3_json"
    return "hermes"  # the fallback tool format


def template_knows_tools(source: str | None) -> bool:
    return bool(source) and "tools" in (source or "")
