"""Streaming tool-call parsing: text deltas in, content and tool-call deltas out.

``ToolCallParser`` keeps the whole output, reads it with a format (see
``formats``) after every delta, and emits only what the new snapshot adds:
new content, a new call's id and name (once), and the new tail of a call's
arguments. Because every snapshot extends the previous one, the deltas of any
split reassemble into exactly the result of reading the output in one piece,
and nothing is emitted twice. A call starts as soon as its name is known, so
its arguments stream while the model writes them.
"""

from __future__ import annotations

import hashlib
import logging

from helixflow.worker.engine import ToolCall, ToolCallDelta
from helixflow.worker.tools.formats import FORMATS, Snapshot

log = logging.getLogger(__name__)


def call_id(request_id: str, index: int) -> str:
    """A call id that is unique per request and the same however the output was split."""
    digest = hashlib.sha256(f"{request_id}\0{index}".encode()).hexdigest()
    return f"call_{digest[:24]}"


class ToolCallParser:
    def __init__(self, fmt: str, *, request_id: str, max_calls: int | None = None) -> None:
        self._read = FORMATS[fmt]
        self._request_id = request_id
        self._max_calls = max_calls
        self._text = ""
        self._content = ""  # content emitted so far
        self._names: list[str] = []
        self._args: list[str] = []  # arguments emitted so far, per call

    def feed(self, text: str) -> tuple[str, list[ToolCallDelta]]:
        """Add output text; return new content and tool-call deltas."""
        if not text:
            return "", []
        self._text += text
        return self._advance(self._read(self._text, False))

    def finish(self) -> tuple[str, list[ToolCallDelta]]:
        """The output is complete: release what was held back."""
        return self._advance(self._read(self._text, True))

    @property
    def calls(self) -> list[ToolCall]:
        """The calls emitted so far, each as reassembled from its deltas."""
        return [
            ToolCall(id=call_id(self._request_id, i), name=name, arguments=args)
            for i, (name, args) in enumerate(zip(self._names, self._args, strict=True))
        ]

    def _advance(self, snap: Snapshot) -> tuple[str, list[ToolCallDelta]]:
        content = _extension(self._content, snap.content, "content")
        self._content += content
        deltas: list[ToolCallDelta] = []
        calls = snap.calls if self._max_calls is None else snap.calls[: self._max_calls]
        for i, call in enumerate(calls):
            if call.name is None:  # later calls cannot start before this one
                break
            if i == len(self._names):
                self._names.append(call.name)
                self._args.append("")
                deltas.append(ToolCallDelta(index=i, id=call_id(self._request_id, i), name=call.name))
            fragment = _extension(self._args[i], call.arguments, "arguments")
            if fragment:
                self._args[i] += fragment
                deltas.append(ToolCallDelta(index=i, arguments=fragment))
        return content, deltas


def _extension(sent: str, now: str, what: str) -> str:
    if now.startswith(sent):
        return now[len(sent) :]
    # A format that breaks the prefix rule is a bug; never emit text twice because of it.
    log.warning("tool-call %s snapshot does not extend what was sent; dropping the difference", what)
    return ""
