"""vLLM ``RequestOutput`` -> Engine events (logprobs and the terminal ``Finished``)."""

from __future__ import annotations

import time
from typing import Any

from helixflow.worker.engine import (
    Finished,
    FinishReason,
    Timings,
    TokenLogprob,
    TopLogprob,
    Usage,
)

_REASONS = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "abort": FinishReason.CANCELLED,
    "error": FinishReason.ERROR,
}


def _token_text(entry: Any, token_id: int, tokenizer: Any) -> str:
    text = getattr(entry, "decoded_token", None)
    if text is None:
        text = tokenizer.decode([token_id])
    return str(text)


def logprobs_of(piece: Any, token_ids: list[int], tokenizer: Any, top_n: int) -> list[TokenLogprob]:
    """Per new token: its logprob and the ``top_n`` most likely alternatives, from a delta."""
    result: list[TokenLogprob] = []
    for token_id, entries in zip(token_ids, piece.logprobs or [], strict=False):
        chosen = entries.get(token_id)
        text = _token_text(chosen, token_id, tokenizer)
        ranked = sorted(
            ((tid, e) for tid, e in entries.items() if getattr(e, "rank", None) is not None and e.rank <= top_n),
            key=lambda item: item[1].rank,
        )
        top: list[TopLogprob] = []
        for tid, e in ranked:
            alt = _token_text(e, tid, tokenizer)
            top.append(TopLogprob(token_id=tid, token=alt, logprob=float(e.logprob), bytes=alt.encode("utf-8")))
        result.append(
            TokenLogprob(
                token_id=token_id,
                token=text,
                logprob=float(chosen.logprob) if chosen is not None else float("-inf"),
                bytes=text.encode("utf-8"),
                top=top,
            )
        )
    return result


def finished_event(
    out: Any,
    piece: Any,
    *,
    prompt_tokens: int,
    completion_tokens: int,
    eos_ids: tuple[int, ...],
    start: float,
    first_token_s: float | None,
) -> Finished:
    """The terminal event for a finished vLLM request."""
    reason = _REASONS.get(str(piece.finish_reason), FinishReason.STOP)
    stop_string: str | None = None
    stop_token_id: int | None = None
    if reason is FinishReason.STOP:
        if isinstance(piece.stop_reason, str):
            stop_string = piece.stop_reason
        elif isinstance(piece.stop_reason, int):
            stop_token_id = piece.stop_reason
        elif piece.token_ids and piece.token_ids[-1] in eos_ids:
            stop_token_id = int(piece.token_ids[-1])
    total = time.monotonic() - start
    metrics = getattr(out, "metrics", None)
    queue_s = 0.0
    scheduled = float(getattr(metrics, "scheduled_ts", 0.0) or 0.0)
    queued = float(getattr(metrics, "queued_ts", 0.0) or 0.0)
    if scheduled and queued and scheduled >= queued:
        queue_s = scheduled - queued
    return Finished(
        reason=reason,
        usage=Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cached_tokens=int(getattr(out, "num_cached_tokens", 0) or 0),
        ),
        timings=Timings(
            queue_s=queue_s,
            time_to_first_token_s=first_token_s if first_token_s is not None else total,
            total_s=total,
        ),
        stop_string=stop_string,
        stop_token_id=stop_token_id,
    )


def cancelled_event(
    prompt_tokens: int, start: float, completion_tokens: int = 0, reason: FinishReason = FinishReason.CANCELLED
) -> Finished:
    """Terminal event for a request that ended without a finished vLLM output."""
    total = time.monotonic() - start
    return Finished(
        reason=reason,
        usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens),
        timings=Timings(queue_s=total, time_to_first_token_s=total, total_s=total),
    )
