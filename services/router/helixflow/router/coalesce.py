"""Coalesced Generate streams in the router: for a client slower than the tokens,
several queued deltas leave as one message (``helixflow.common.coalesce``).

Replies are serialized bytes (``helixflow.router.wire``). A reply merges when it is
a ``GenerateResponse`` holding only a delta, and that delta holds only text, token
ids and logprobs: both read from the field tags, without parsing. Any other message
(the Complete, or an event kind added to the contract later, or a delta with fields
merge does not know) is a barrier that passes through unchanged. Only a run of two
or more is parsed, joined and serialized again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from helixflow.common import coalesce as common
from helixflow.router.wire import Malformed, Reply, fields, varint
from helixflow.v1 import common_pb2, inference_pb2

_DELTA_TAG = inference_pb2.GenerateResponse.DELTA_FIELD_NUMBER << 3 | 2
_MERGEABLE = frozenset(
    {
        common_pb2.TokenDelta.TEXT_FIELD_NUMBER,
        common_pb2.TokenDelta.TOKEN_IDS_FIELD_NUMBER,
        common_pb2.TokenDelta.LOGPROBS_FIELD_NUMBER,
    }
)


def _key(reply: Reply) -> int | None:
    """0 for a plain delta (a run may join it), None for a barrier."""
    data, complete = reply
    if complete is not None or not data or data[0] != _DELTA_TAG:
        return None
    try:
        size, start = varint(data, 1)
        if start + size != len(data) or not _MERGEABLE.issuperset(fields(data[start:])):
            return None
    except Malformed:
        return None
    return 0


def _join(run: list[Reply]) -> Reply:
    deltas = [inference_pb2.GenerateResponse.FromString(data).delta for data, _ in run]
    return inference_pb2.GenerateResponse(delta=common.join_token_deltas(deltas)).SerializeToString(), None


def merge(replies: list[Reply]) -> list[Reply]:
    """``replies`` with each run of consecutive plain deltas joined into one message."""
    return common.merge_runs(replies, _key, _join)


def coalesce(source: AsyncIterator[Reply], interval_s: float) -> AsyncIterator[Reply]:
    """``source``'s replies, deltas queued within ``interval_s`` merged."""
    return common.coalesce(source, interval_s, merge, lambda reply: reply[1] is not None)
