"""The SSE encoder's byte templates are exactly orjson's encoding of OpenAI's chunk dicts."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from helixflow.rest_bridge.sse import ChunkEncoder

HEAD = {"id": "chatcmpl-1", "created": 7, "model": 'm/ö"x', "system_fingerprint": "fp"}


def _encoder(chat: bool, include_usage: bool) -> ChunkEncoder:
    return ChunkEncoder(
        chat=chat,
        completion_id=str(HEAD["id"]),
        created=7,
        model=str(HEAD["model"]),
        fingerprint="fp",
        include_usage=include_usage,
    )


def _expected(chat: bool, include_usage: bool, choice: dict[str, Any]) -> bytes:
    obj = "chat.completion.chunk" if chat else "text_completion"
    payload: dict[str, Any] = {
        "id": HEAD["id"],
        "object": obj,
        "created": 7,
        "model": HEAD["model"],
        "system_fingerprint": "fp",
        "choices": [choice],
    }
    if include_usage:
        payload["usage"] = None
    return b"data: " + orjson.dumps(payload) + b"\n\n"


@pytest.mark.parametrize("include_usage", [False, True])
@pytest.mark.parametrize("index", [0, 3])
def test_chat_templates_match_the_dicts(include_usage: bool, index: int) -> None:
    enc = _encoder(True, include_usage)
    role = {"index": index, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
    assert enc.role(index) == _expected(True, include_usage, role)
    text = {"index": index, "delta": {"content": 'a "b"\n'}, "logprobs": None, "finish_reason": None}
    assert enc.text(index, 'a "b"\n') == _expected(True, include_usage, text)
    finish = {"index": index, "delta": {}, "logprobs": None, "finish_reason": "length"}
    assert enc.finish(index, "length") == _expected(True, include_usage, finish)


@pytest.mark.parametrize("include_usage", [False, True])
def test_text_templates_match_the_dicts(include_usage: bool) -> None:
    enc = _encoder(False, include_usage)
    text = {"index": 1, "text": "x", "logprobs": None, "finish_reason": None}
    assert enc.text(1, "x") == _expected(False, include_usage, text)
    finish = {"index": 1, "text": "", "logprobs": None, "finish_reason": "stop"}
    assert enc.finish(1, "stop") == _expected(False, include_usage, finish)
