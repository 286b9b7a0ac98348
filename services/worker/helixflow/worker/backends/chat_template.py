"""Render chat messages into a prompt string.

A GGUF may carry a Jinja chat template (``tokenizer.chat_template``); we render
it in a sandbox. The default model (Gemma 3 270M, a base model) carries none,
so we fall back to Gemma-style turns, which that model family was trained on:

    <start_of_turn>user
    {system}\n\n{user}<end_of_turn>
    <start_of_turn>model
    {assistant}<end_of_turn>
    <start_of_turn>model

System messages are folded into the next user turn (Gemma has no system
role). BOS is not written here; the tokenizer adds it.

With tools, a template that knows them receives ``tools`` and tool-call
messages as in llama.cpp and transformers; the fallback (and a template
without tool support) gets the fallback tool format described in
``helixflow.worker.tools.render``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from helixflow.common.errors import InvalidArgument
from helixflow.worker.engine import Message, Tool
from helixflow.worker.tools import render as tool_render


def render_fallback(messages: Sequence[Message]) -> str:
    """Gemma-style turns (see the module docstring)."""
    parts: list[str] = []
    system = ""
    for m in messages:
        if m.role == "system":
            system += m.content + "\n\n"
            continue
        role = "model" if m.role == "assistant" else "user"
        content = m.content
        if role == "user":
            content, system = system + content, ""
        parts.append(f"<start_of_turn>{role}\n{content}<end_of_turn>\n")
    parts.append("<start_of_turn>model\n")
    return "".join(parts)


class ChatTemplate:
    def __init__(self, source: str | None, *, eos_token: str) -> None:
        self.from_model = bool(source)
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.globals["raise_exception"] = _raise
        self._eos = eos_token
        # transformers' tojson: plain JSON (jinja2's own escapes <, > and & for HTML).
        env.filters["tojson"] = _tojson
        self._template = env.from_string(source) if source else None
        self.tool_parser = tool_render.parser_for_template(source)
        self._knows_tools = tool_render.template_knows_tools(source)

    def render(self, messages: Sequence[Message], tools: Sequence[Tool] = ()) -> str:
        if not messages:
            raise InvalidArgument("messages must not be empty", field="messages")
        for m in messages:
            if m.role not in ("system", "user", "assistant", "tool"):
                raise InvalidArgument(f"unknown role {m.role!r}", field="messages.role")
        structured = self._template is not None and self._knows_tools
        if not structured and (tools or any(m.role == "tool" or m.tool_calls for m in messages)):
            messages = tool_render.as_plain_messages(messages, tools)
        if self._template is None:
            return render_fallback(messages)
        extra: dict[str, object] = {"tools": [tool_render.tool_json(t) for t in tools]} if structured and tools else {}
        try:
            return self._template.render(
                messages=tool_render.template_messages(messages),
                add_generation_prompt=True,
                **extra,
                # The tokenizer adds BOS itself, so templates that print it are given "".
                bos_token="",
                eos_token=self._eos,
            )
        except jinja2.TemplateError as exc:
            raise InvalidArgument(f"chat template rejected the messages: {exc}") from exc


def _raise(message: str) -> None:
    raise jinja2.TemplateError(message)


def _tojson(value: object, indent: int | None = None, ensure_ascii: bool = False, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)
