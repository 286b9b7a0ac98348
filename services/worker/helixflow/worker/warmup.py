"""One short real decode before a worker reports ready (as llama-server does at start).

A configuration that crashes in native code (a CPU kernel, a driver) then crashes
here, while the worker is still NOT_SERVING, and the supervisor reports it as a
start-up failure instead of a user's first request dying with it.
"""

from __future__ import annotations

import logging
import time
import uuid

from helixflow.worker.engine import (
    Engine,
    Finished,
    FinishReason,
    GenerationRequest,
    SamplingOptions,
    TextPrompt,
)

log = logging.getLogger(__name__)

WARMUP_TOKENS = 2


async def warm_up(engine: Engine) -> None:
    """Prefill a short prompt and decode a couple of tokens greedily; raise if that fails."""
    if not engine.info().supports_generate:
        return
    started = time.perf_counter()
    request = GenerationRequest(
        request_id=f"warmup-{uuid.uuid4().hex}",
        prompt=TextPrompt("Hello"),
        # No ignore_eos: an upstream API (Anthropic's Messages) has none; an early EOS still decoded.
        sampling=SamplingOptions(max_tokens=WARMUP_TOKENS, temperature=0.0),
    )
    finished: Finished | None = None
    async for event in engine.generate(request):
        if isinstance(event, Finished):
            finished = event
    if finished is None or finished.reason is FinishReason.ERROR:
        raise RuntimeError(f"warm-up decode failed: {finished.reason.value if finished else 'no terminal event'}")
    log.info(
        "warm-up decode: %d tokens in %.0f ms", finished.usage.completion_tokens, (time.perf_counter() - started) * 1e3
    )
