"""Coalesced SSE: for an HTTP client slower than the tokens, the deltas that queued up
while a chunk was being written leave as one chunk (``helixflow.common.coalesce``).

Items are the router's (choice index, message) stream. Consecutive deltas of the
same choice merge: texts concatenated, token ids and logprobs appended, in order. A
message of any other kind, or a delta with fields other than those three (a kind the
contract may add), passes unchanged and ends the run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from helixflow.common import coalesce as common
from helixflow.v1 import inference_pb2

Item = tuple[int, Any]  # (choice index, GenerateResponse)
_MERGEABLE = frozenset({"text", "token_ids", "logprobs"})


def _key(item: Item) -> int | None:
    """The choice index for a plain delta (a run of that choice may join it), else None."""
    message: inference_pb2.GenerateResponse = item[1]
    if message.WhichOneof("event") != "delta" or len(message.ListFields()) != 1:
        return None
    if not all(f.name in _MERGEABLE for f, _ in message.delta.ListFields()):
        return None
    return item[0]


def _join(run: list[Item]) -> Item:
    joined = common.join_token_deltas([m.delta for _, m in run])
    return run[0][0], inference_pb2.GenerateResponse(delta=joined)


def merge(items: list[Item]) -> list[Item]:
    """``items`` with each run of one choice's consecutive plain deltas joined."""
    return common.merge_runs(items, _key, _join)


def coalesce(source: AsyncIterator[Item], interval_s: float) -> AsyncIterator[Item]:
    """``source``'s items, deltas queued within ``interval_s`` merged."""
    return common.coalesce(source, interval_s, merge, lambda item: item[1].WhichOneof("event") == "complete")
