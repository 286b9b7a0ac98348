"""A tolerant scanner for JSON that may still be arriving.

The tool-call formats wrap each call in a JSON object such as
``{"name": "f", "arguments": {...}}``. While a model writes it, the text is a
prefix of that object. ``scan_call_object`` reads the top level of such a
prefix without ever parsing the arguments value, and says where that value
starts and (once it is closed) ends, so the caller can stream the value's raw
text as it grows. Nothing here raises on bad input: an unexpected character
just ends the scan (``broken``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

WHITESPACE = " \t\r\n"
_SCALAR_END = ",}] \t\r\n"


def skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in WHITESPACE:
        i += 1
    return i


def string_end(text: str, i: int) -> int | None:
    """Index after the JSON string starting at ``text[i] == '"'``; None while it is open."""
    n = len(text)
    j = i + 1
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == '"':
            return j + 1
        j += 1
    return None


def value_end(text: str, i: int) -> int | None:
    """Index after the JSON value starting at ``text[i]``; None while it is open.

    Containers are matched by depth (strings skipped), scalars end at the next
    delimiter. Only the extent is found; the value is not validated.
    """
    n = len(text)
    c = text[i]
    if c == '"':
        return string_end(text, i)
    if c not in "{[":
        j = i
        while j < n and text[j] not in _SCALAR_END:
            j += 1
        return j if j < n else None
    depth = 0
    j = i
    while j < n:
        c = text[j]
        if c == '"':
            end = string_end(text, j)
            if end is None:
                return None
            j = end
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None


@dataclass(slots=True)
class CallScan:
    """What the top level of a (possibly partial) call object revealed."""

    name: str | None = None  # the "name" value, once that string is complete
    args_start: int | None = None  # where the arguments value starts
    args_end: int | None = None  # where it ends, once closed
    end: int | None = None  # index after the object's closing brace, once closed
    broken: bool = False  # the text stopped looking like a call object


def scan_call_object(text: str, i: int, args_keys: tuple[str, ...]) -> CallScan:
    """Scan the object starting at ``text[i] == '{'`` for its name and arguments."""
    out = CallScan()
    n = len(text)
    j = i + 1
    while True:
        j = skip_ws(text, j)
        if j >= n:
            return out
        if text[j] == "}":
            out.end = j + 1
            return out
        if text[j] != '"':
            out.broken = True
            return out
        key_end = string_end(text, j)
        if key_end is None:
            return out
        key = _loads_str(text[j:key_end])
        j = skip_ws(text, key_end)
        if j >= n:
            return out
        if text[j] != ":":
            out.broken = True
            return out
        j = skip_ws(text, j + 1)
        if j >= n:
            return out
        start = j
        end = value_end(text, start)
        if key in args_keys and out.args_start is None:
            out.args_start, out.args_end = start, end
        if end is None:
            return out
        if (key == "name" and text[start] == '"') or (key == "function" and text[start] == '"' and out.name is None):
            out.name = _loads_str(text[start:end])
        j = skip_ws(text, end)
        if j >= n:
            return out
        if text[j] == ",":
            j += 1
        elif text[j] == "}":
            out.end = j + 1
            return out
        else:
            out.broken = True
            return out


def _loads_str(token: str) -> str | None:
    try:
        value = json.loads(token)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def decode_string_arguments(raw: str) -> str:
    """Arguments some models write as a JSON string holding JSON: the inner text."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw
