"""Tool-call output formats, each read as a snapshot of the text so far.

A format is a function ``(text, final) -> Snapshot``: the content and the calls
that ``text`` (all output so far) shows. Every snapshot is a prefix of every
later one (content extends, calls are appended, a call's arguments extend),
which is what lets ``ToolCallParser`` stream the difference between two
snapshots and get, for any split of the output into deltas, the very result
of reading the whole output at once. ``final`` releases what was held back
because it might still turn into markup.

Formats:

- ``hermes`` (Hermes, Qwen 2/2.5/3, and HelixFlow's fallback template):
  ``<tool_call>{"name": "f", "arguments": {...}}</tool_call>``, one block per
  call, anywhere in the output; text outside the blocks is content.
- ``llama3_json`` (Llama 3.1-3.3): the whole output is
  ``{"name": "f", "parameters": {...}}`` (optionally after ``<|python_tag|>``),
  several calls separated by ``;``. Output that does not start like a call
  object is content.
- ``mistral``: ``[TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]`` (v3)
  or ``[TOOL_CALLS]f[ARGS]{...}`` (v11+); text before the marker is content.

A call's arguments are the raw JSON text the model wrote (a JSON string holding
JSON is unwrapped once it is complete). Whitespace at the start of each content
segment (the output's start, or right after a call) is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from helixflow.worker.tools.jsonscan import decode_string_arguments, scan_call_object, skip_ws, value_end


@dataclass(slots=True)
class PartialCall:
    name: str | None  # None: a call has begun but its name is not known yet
    arguments: str  # a prefix of the final arguments text


@dataclass(slots=True)
class Snapshot:
    content: str = ""
    calls: list[PartialCall] = field(default_factory=list)

    def add_content(self, segment: str) -> None:
        self.content += segment.lstrip()


Format = Callable[[str, bool], Snapshot]


def partial_suffix(text: str, marker: str) -> int:
    """Length of the longest tail of ``text`` that is a proper prefix of ``marker``."""
    for k in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:k]):
            return k
    return 0


def _hold(text: str, marker: str, final: bool) -> str:
    return text if final or not marker else text[: len(text) - partial_suffix(text, marker)]


def object_call(
    region: str, i: int, keys: tuple[str, ...], *, done: bool, hold: str = ""
) -> tuple[PartialCall | None, int | None]:
    """The call in the object at ``region[i] == '{'`` and the index after it.

    Returns (None, end) when the object is finished (``done``, closed or broken)
    without a name: it is not a call. ``hold`` is a marker that may follow the
    object; a tail of an open arguments value that could be its start is held.
    """
    scan = scan_call_object(region, i, keys)
    finished = done or scan.end is not None or scan.broken
    if scan.name is None:
        return (None, scan.end) if finished else (PartialCall(None, ""), None)
    start, end = scan.args_start, scan.args_end
    if start is None:
        args = "{}" if finished else ""
    elif region[start] == '"':
        args = decode_string_arguments(region[start:end]) if end is not None else (region[start:] if done else "")
    elif end is not None:
        args = region[start:end]
    else:
        args = _hold(region[start:], hold, done)
    return PartialCall(scan.name, args), scan.end


# ---- hermes -------------------------------------------------------------------------------

HERMES_START = "<tool_call>"
HERMES_END = "</tool_call>"
_HERMES_KEYS = ("arguments", "parameters")


def hermes(text: str, final: bool) -> Snapshot:
    snap = Snapshot()
    pos = 0
    while True:
        k = text.find(HERMES_START, pos)
        if k < 0:
            snap.add_content(_hold(text[pos:], HERMES_START, final))
            return snap
        snap.add_content(text[pos:k])
        body_at = k + len(HERMES_START)
        e = text.find(HERMES_END, body_at)
        closed = e >= 0
        body = text[body_at:e] if closed else text[body_at:]
        i = skip_ws(body, 0)
        call: PartialCall | None
        if i < len(body) and body[i] == "{":
            call, _ = object_call(body, i, _HERMES_KEYS, done=closed or final, hold="" if closed else HERMES_END)
        else:
            call = None if closed or final else PartialCall(None, "")
        if call is not None:
            snap.calls.append(call)
        elif closed or final:  # not a call after all: the block is content
            snap.add_content(text[k : e + len(HERMES_END)] if closed else text[k:])
        if not closed:
            return snap
        pos = e + len(HERMES_END)


# ---- llama3_json --------------------------------------------------------------------------

PYTHON_TAG = "<|python_tag|>"
_LLAMA_KEYS = ("parameters", "arguments")
_LLAMA_FIRST_KEYS = ("name", "type", "function")


def _llama3_mode(rest: str) -> str:
    """'call', 'content' or 'undecided' for output (without leading whitespace) ``rest``."""
    if rest.startswith(PYTHON_TAG):
        return "call"
    if PYTHON_TAG.startswith(rest):  # also the empty output
        return "undecided"
    if rest[0] != "{":
        return "content"
    k = skip_ws(rest, 1)
    if k >= len(rest):
        return "undecided"
    if rest[k] != '"':
        return "content"
    close = rest.find('"', k + 1)
    key = rest[k + 1 :] if close < 0 else rest[k + 1 : close]
    if close < 0:
        return "undecided" if any(x.startswith(key) for x in _LLAMA_FIRST_KEYS) else "content"
    return "call" if key in _LLAMA_FIRST_KEYS else "content"


def llama3_json(text: str, final: bool) -> Snapshot:
    snap = Snapshot()
    j = skip_ws(text, 0)
    mode = _llama3_mode(text[j:])
    if mode != "call":
        if mode == "content" or final:
            snap.add_content(text[j:])
        return snap
    if text.startswith(PYTHON_TAG, j):
        j += len(PYTHON_TAG)
    n = len(text)
    while True:
        j = skip_ws(text, j)
        if j >= n:
            return snap
        if text[j] != "{":
            snap.add_content(text[j:])
            return snap
        call, end = object_call(text, j, _LLAMA_KEYS, done=final)
        if call is None:  # a JSON object that is no call: content from here on
            snap.add_content(text[j:])
            return snap
        snap.calls.append(call)
        if end is None:
            return snap
        j = skip_ws(text, end)
        if j < n and text[j] in ";,":
            j += 1


# ---- mistral ------------------------------------------------------------------------------

MISTRAL_TAG = "[TOOL_CALLS]"
MISTRAL_ARGS = "[ARGS]"
_MISTRAL_KEYS = ("arguments", "parameters")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _mistral_named(text: str, j: int, final: bool) -> tuple[PartialCall | None, int | None]:
    """``name[ARGS]{...}`` (or ``name{...}``) at ``j``: the call and the index after it."""
    n = len(text)
    m = j
    while m < n and text[m] in _NAME_CHARS:
        m += 1
    if m == j:
        return None, None
    if m >= n:
        return (PartialCall(text[j:m], "{}") if final else PartialCall(None, "")), None
    name = text[j:m]
    if text.startswith(MISTRAL_ARGS, m):
        m += len(MISTRAL_ARGS)
    elif MISTRAL_ARGS.startswith(text[m:]):
        return PartialCall(name, "{}" if final else ""), None
    v = skip_ws(text, m)
    if v >= n:
        return PartialCall(name, "{}" if final else ""), None
    if text[v] not in "{[":
        return PartialCall(name, "{}"), m
    end = value_end(text, v)
    if end is None:
        return PartialCall(name, _hold(text[v:], MISTRAL_TAG, final)), None
    return PartialCall(name, text[v:end]), end


def mistral(text: str, final: bool) -> Snapshot:
    snap = Snapshot()
    k = text.find(MISTRAL_TAG)
    if k < 0:
        snap.add_content(_hold(text, MISTRAL_TAG, final))
        return snap
    snap.add_content(text[:k])
    j, n, depth = k + len(MISTRAL_TAG), len(text), 0  # depth 1 inside a [...] list
    while True:
        j = skip_ws(text, j)
        if j >= n:
            return snap
        c = text[j]
        call: PartialCall | None
        if depth == 0 and c == "[" and not text.startswith(MISTRAL_TAG, j):
            if MISTRAL_TAG.startswith(text[j:]) and not final:
                return snap  # "[TOOL_C..." or a list: wait for the next character
            depth, j = 1, j + 1
            continue
        if depth == 1 and c in ",]":
            depth, j = (depth if c == "," else 0), j + 1
            continue
        if c == "{":
            call, end = object_call(text, j, _MISTRAL_KEYS, done=final)
        elif depth == 0 and text.startswith(MISTRAL_TAG, j):
            j += len(MISTRAL_TAG)
            continue
        elif depth == 0 and not final and MISTRAL_TAG.startswith(text[j:]):
            return snap
        elif depth == 0:
            call, end = _mistral_named(text, j, final)
        else:
            call, end = None, None
        if call is None:
            snap.add_content(text[j:])
            return snap
        snap.calls.append(call)
        if end is None:
            return snap
        j = end


FORMATS: dict[str, Format] = {"hermes": hermes, "llama3_json": llama3_json, "mistral": mistral}
