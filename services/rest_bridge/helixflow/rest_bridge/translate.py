"""Proto -> OpenAI dict conversion (finish reasons, usage, logprobs, embeddings, models)."""

from __future__ import annotations

import base64
import struct
from typing import Any

from helixflow.common.errors import WorkerLost
from helixflow.v1 import common_pb2, inference_pb2

_FINISH = {
    common_pb2.FINISH_REASON_STOP: "stop",
    common_pb2.FINISH_REASON_LENGTH: "length",
    common_pb2.FINISH_REASON_TOOL_CALLS: "tool_calls",
}


def finish_reason(complete: common_pb2.Complete) -> str:
    """OpenAI's finish_reason; a cancelled or failed generation is an error, not a reason."""
    reason = _FINISH.get(complete.finish_reason)
    if reason is None:
        name = common_pb2.FinishReason.Name(complete.finish_reason)
        raise WorkerLost(f"generation ended early: {name.removeprefix('FINISH_REASON_').lower()}")
    return reason


def usage_dict(usages: list[common_pb2.Usage]) -> dict[str, Any]:
    """Usage summed over the n choices (the prompt counts once, as OpenAI does)."""
    prompt = usages[0].prompt_tokens if usages else 0
    completion = sum(u.completion_tokens for u in usages)
    cached = usages[0].cached_tokens if usages else 0
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    return out


def _bytes(raw: bytes) -> list[int]:
    return list(raw)


def chat_logprobs(items: list[common_pb2.TokenLogprob]) -> dict[str, Any]:
    """Chat-style logprobs: {"content": [{token, logprob, bytes, top_logprobs}]}."""
    content = [
        {
            "token": t.token,
            "logprob": t.logprob,
            "bytes": _bytes(t.bytes),
            "top_logprobs": [{"token": x.token, "logprob": x.logprob, "bytes": _bytes(x.bytes)} for x in t.top],
        }
        for t in items
    ]
    return {"content": content, "refusal": None}


def text_logprobs(items: list[common_pb2.TokenLogprob], offset: int) -> dict[str, Any]:
    """Legacy completions logprobs: parallel lists plus text offsets."""
    offsets = []
    for t in items:
        offsets.append(offset)
        offset += len(t.token)
    return {
        "tokens": [t.token for t in items],
        "token_logprobs": [t.logprob for t in items],
        "top_logprobs": [{x.token: x.logprob for x in t.top} for t in items],
        "text_offset": offsets,
    }


def embedding_list(resp: inference_pb2.EmbedResponse, model: str, as_base64: bool) -> dict[str, Any]:
    data = []
    for emb in resp.embeddings:
        values: list[float] | str
        if as_base64:
            # What the OpenAI SDKs expect: little-endian float32, base64-encoded.
            values = base64.b64encode(struct.pack(f"<{len(emb.values)}f", *emb.values)).decode()
        else:
            values = list(emb.values)
        data.append({"object": "embedding", "index": emb.index, "embedding": values})
    prompt = resp.usage.prompt_tokens
    return {
        "object": "list",
        "data": data,
        "model": resp.model or model,
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }


def model_dict(card: inference_pb2.ModelCard, created: int) -> dict[str, Any]:
    return {"id": card.id, "object": "model", "created": created, "owned_by": "helixflow"}
