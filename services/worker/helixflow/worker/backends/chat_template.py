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
"""

from __future__ import annotations

from collections.abc import Sequence

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from helixflow.common.errors import InvalidArgument
from helixflow.worker.engine import Message


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
        self._template = env.from_string(source) if source else None

    def render(self, messages: Sequence[Message]) -> str:
        if not messages:
            raise InvalidArgument("messages must not be empty", field="messages")
        for m in messages:
            if m.role not in ("system", "user", "assistant"):
                raise InvalidArgument(f"unknown role {m.role!r}", field="messages.role")
        if self._template is None:
            return render_fallback(messages)
        try:
            return self._template.render(
                messages=[{"role": m.role, "content": m.content, "name": m.name} for m in messages],
                add_generation_prompt=True,
                # The tokenizer adds BOS itself, so templates that print it are given "".
                bos_token="",
                eos_token=self._eos,
            )
        except jinja2.TemplateError as exc:
            raise InvalidArgument(f"chat template rejected the messages: {exc}") from exc


def _raise(message: str) -> None:
    raise jinja2.TemplateError(message)
