"""Generate replies as bytes on the wire: the router forwards each token message
without parsing it and reads only the terminal ``Complete``.

A worker's ``WorkerGenerateResponse`` carries the public ``GenerateResponse`` as
field 1 and nothing else. Its bytes are then exactly one tag byte (``0x0a``: field
1, length-delimited), the varint length of the inner message and the inner
message itself, so slicing off that prefix yields the public message's bytes as
the worker serialized them. ``unwrap`` checks that shape (the tag, and that the
length covers the rest exactly) and falls back to a full parse and re-serialization
for anything else, such as an envelope a newer worker sends with more fields.

Which event a ``GenerateResponse`` carries is read from its top-level field tags:
``complete`` is field 2. Other events (deltas, and any oneof member added later)
pass through as opaque bytes; only the terminal message is parsed, for usage,
quotas and the response cache.
"""

from __future__ import annotations

from typing import Any

from helixflow.v1 import inference_pb2, worker_pb2

# One Generate stream message: its serialized public GenerateResponse, and that
# message parsed when (and only when) it is the terminal Complete.
Reply = tuple[bytes, inference_pb2.GenerateResponse | None]

_ENVELOPE_TAG = 0x0A  # field 1, wire type 2
_COMPLETE_FIELD = inference_pb2.GenerateResponse.COMPLETE_FIELD_NUMBER
_DELTA_FIELD = inference_pb2.GenerateResponse.DELTA_FIELD_NUMBER


class Malformed(ValueError):
    """Bytes that are not a well-formed protobuf message."""


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def fields(data: bytes) -> list[int]:
    """The top-level field numbers of a serialized message, in wire order."""
    found = []
    pos, end = 0, len(data)
    while pos < end:
        key, pos = varint(data, pos)
        kind = key & 7
        if kind == 0:
            _, pos = varint(data, pos)
        elif kind == 1:
            pos += 8
        elif kind == 2:
            size, pos = varint(data, pos)
            pos += size
        elif kind == 5:
            pos += 4
        else:  # groups (3, 4) are not used by our contract
            raise Malformed(f"unsupported wire type {kind}")
        if pos > end:
            raise Malformed("field runs past the end of the message")
        found.append(key >> 3)
    return found


def unwrap(envelope: bytes) -> bytes:
    """The public GenerateResponse bytes inside a WorkerGenerateResponse's bytes."""
    if envelope and envelope[0] == _ENVELOPE_TAG:
        try:
            size, start = varint(envelope, 1)
        except Malformed:
            size, start = -1, 0
        if start + size == len(envelope):
            return envelope[start:]
    # Not the one-field shape: let protobuf decide what it holds.
    response: bytes = worker_pb2.WorkerGenerateResponse.FromString(envelope).response.SerializeToString()
    return response


def is_complete(data: bytes) -> bool:
    """Whether serialized GenerateResponse bytes are the terminal Complete."""
    # Fast path: a message whose first field is a delta, with nothing after it.
    if data and data[0] == (_DELTA_FIELD << 3 | 2):
        size, start = varint(data, 1)
        if start + size == len(data):
            return False
    return _COMPLETE_FIELD in fields(data)


def reply(data: bytes) -> Reply:
    """A Reply from GenerateResponse bytes, parsing them only when they are the Complete."""
    if is_complete(data):
        return data, inference_pb2.GenerateResponse.FromString(data)
    return data, None


def of(message: inference_pb2.GenerateResponse) -> Reply:
    """A Reply from a message object (cached streams, tests)."""
    return message.SerializeToString(), message if message.HasField("complete") else None


def serialize(message: Any) -> bytes:
    """Response serializer for the router's Generate: replies are bytes already."""
    if isinstance(message, bytes):
        return message
    data: bytes = message.SerializeToString()
    return data
