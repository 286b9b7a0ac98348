"""``anthropic`` backend: the Anthropic Messages API (``/v1/messages``) as a worker engine.

Anthropic itself, or any server that speaks it (llama-server does). Requests
stream; the events are message_start (prompt usage), content_block_delta
(text), message_delta (stop reason, matched stop sequence, output usage, and the
cumulative input usage where the server sends it there) and
message_stop, or an ``error`` event. Our stops go as ``stop_sequences``. The
Messages API requires max_tokens, so an unset one becomes
``upstream.default_max_tokens``. Sampling fields the API lacks (seed, min_p,
penalties, ...) are refused with INVALID_ARGUMENT when set rather than dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from importlib.metadata import version
from typing import Any

from helixflow.common.errors import (
    HelixError,
    InvalidArgument,
    UnsupportedConstraint,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from helixflow.worker.backends import upstream_http as up
from helixflow.worker.backends import upstream_tools as tools
from helixflow.worker.backends.upstream_engine import UpstreamEngine
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    EmbedResult,
    EngineInfo,
    Event,
    Finished,
    FinishReason,
    GenerationRequest,
    SamplingOptions,
    TextPrompt,
    Timings,
    TokenizeResult,
    TokenPrompt,
    Usage,
)

log = logging.getLogger(__name__)
PROVIDER = "anthropic"

_FINISH = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "tool_use": FinishReason.TOOL_CALLS,
    "max_tokens": FinishReason.LENGTH,
}
_UNSUPPORTED = ("seed", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty")


def request_body(
    prompt: TextPrompt | ChatPrompt | TokenPrompt, sampling: SamplingOptions, default_max: int
) -> dict[str, Any]:
    """Messages API fields for a prompt and the sampling fields set on it."""
    if isinstance(prompt, TokenPrompt):
        raise InvalidArgument("the anthropic upstream takes text or messages, not token ids", field="input")
    for name in _UNSUPPORTED:
        if getattr(sampling, name) is not None:
            raise InvalidArgument(f"the anthropic upstream has no {name}; leave it unset", field=f"sampling.{name}")
    if sampling.ignore_eos or sampling.stop_token_ids or sampling.logprobs:
        raise InvalidArgument("the anthropic upstream has no ignore_eos, stop_token_ids or logprobs", field="sampling")
    if sampling.constraint is not None:
        raise UnsupportedConstraint(
            "the anthropic upstream takes no structured output", field="sampling.structured_output"
        )
    body: dict[str, Any] = {}
    if isinstance(prompt, TextPrompt):
        body["messages"] = [{"role": "user", "content": prompt.text}]
    else:
        system = [m.content for m in prompt.messages if m.role == "system"]
        if system:
            body["system"] = "\n\n".join(system)
        body["messages"] = tools.anthropic_messages(prompt.messages)
    body["max_tokens"] = sampling.max_tokens if sampling.max_tokens is not None else default_max
    for name in ("temperature", "top_p", "top_k"):
        value = getattr(sampling, name)
        if value is not None:
            body[name] = value
    if sampling.stop:
        body["stop_sequences"] = list(sampling.stop)
    return body


def stream_error(error: dict[str, Any], secret: up.Secret) -> HelixError:
    """The domain error for an ``error`` event inside a 200 stream."""
    kind, message = str(error.get("type", "")), secret.scrub(str(error.get("message", "")))[:500]
    if kind == "rate_limit_error":
        return UpstreamRateLimited(
            f"the anthropic upstream is rate limiting: {message}", retry_after_s=up.DEFAULT_RETRY_AFTER_S
        )
    if kind == "invalid_request_error":
        return InvalidArgument(f"the anthropic upstream rejected the request: {message}")
    return UpstreamUnavailable(f"the anthropic upstream failed mid-stream ({kind or 'error'})")


class AnthropicEngine(UpstreamEngine):
    """An Anthropic Messages endpoint behind the Engine protocol."""

    provider = PROVIDER

    async def load(self) -> None:
        """Read the key and open the pool (the model is checked by the warm-up request)."""
        if self._client is not None:
            return
        await self._connect({"anthropic-version": self.settings.anthropic_version})
        log.info("anthropic upstream %s serves %s as %s", self.settings.base_url, self.upstream_model, self.model_id)

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key} if key else {}

    def info(self) -> EngineInfo:
        return EngineInfo(
            model_id=self.model_id,
            backend=PROVIDER,
            backend_version=version("httpx"),
            context_length=self.settings.context_length or 0,
            vocab_size=0,
            eos_token_ids=(),
            embedding_dimension=0,
            constraints=frozenset(),
            max_concurrent_sequences=self.settings.max_concurrent,
            max_waiting=0,
            has_chat_template=True,
            supports_generate=True,
            supports_embed=False,
            aliases=self.aliases,
            engine_options={"upstream": self.settings.base_url, "upstream_model": self.upstream_model},
            tool_parser=tools.TOOL_PARSER,
        )

    async def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        body = request_body(request.prompt, request.sampling, self.settings.default_max_tokens)
        body |= {"model": self.upstream_model, "stream": True}
        if request.tools is not None:
            body |= tools.anthropic_tools(request.tools)
        calls = tools.ToolCallCollector()
        clock = up.Clock()
        reason: FinishReason | None = None
        stop_string: str | None = None
        prompt_tokens = cached = created = completion = 0
        with self._in_flight.track(request.request_id) as aborted:
            async with (
                self._stream("/v1/messages", body) as response,
                aclosing(up.until_aborted(up.sse_events(response), aborted)) as events,
            ):
                async for event in events:
                    data = json.loads(event.data)
                    kind = data.get("type", event.event)
                    if kind == "message_start":
                        usage = (data.get("message") or {}).get("usage") or {}
                        cached = int(usage.get("cache_read_input_tokens") or 0)
                        created = int(usage.get("cache_creation_input_tokens") or 0)
                        prompt_tokens = int(usage.get("input_tokens") or 0) + cached + created
                    elif kind == "content_block_start":
                        block = data.get("content_block") or {}
                        if block.get("type") == "tool_use":
                            clock.delta()
                            piece = calls.piece(data.get("index"), call_id=block.get("id", ""), name=block["name"])
                            yield Delta(text="", token_ids=[], tool_calls=[piece])
                    elif kind == "content_block_delta":
                        delta = data.get("delta") or {}
                        text = delta.get("text") or ""
                        if text:
                            clock.delta()
                            yield Delta(text=text, token_ids=[])
                        elif partial := delta.get("partial_json"):
                            yield Delta(
                                text="", token_ids=[], tool_calls=[calls.piece(data.get("index"), arguments=partial)]
                            )
                    elif kind == "message_delta":
                        delta = data.get("delta") or {}
                        if delta.get("stop_reason"):
                            reason = _FINISH.get(delta["stop_reason"], FinishReason.STOP)
                            stop_string = delta.get("stop_sequence") or None
                        usage = data.get("usage") or {}
                        completion = int(usage.get("output_tokens") or completion)
                        if usage.get("input_tokens"):  # cumulative here in newer streams (and in our bridge's)
                            cached = int(usage.get("cache_read_input_tokens") or cached)
                            created = int(usage.get("cache_creation_input_tokens") or created)
                            prompt_tokens = int(usage["input_tokens"]) + cached + created
                    elif kind == "message_stop":
                        break
                    elif kind == "error":
                        raise stream_error(data.get("error") or {}, self._secret)
            if aborted.is_set():
                reason, stop_string = FinishReason.CANCELLED, None
            elif reason is None:
                raise UpstreamUnavailable("the anthropic upstream ended the stream without a stop reason")
            elif reason is FinishReason.TOOL_CALLS and not calls:
                reason = FinishReason.STOP  # "tool_use" with no tool_use block: nothing to call
            yield Finished(
                reason=reason,
                usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=completion, cached_tokens=cached),
                timings=Timings(queue_s=0.0, time_to_first_token_s=clock.first, total_s=clock.total()),
                stop_string=stop_string,
                tool_calls=calls.calls() if reason is FinishReason.TOOL_CALLS else [],
            )

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        raise InvalidArgument(f"model {self.model_id} is an Anthropic upstream, which offers no embeddings")

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        raise InvalidArgument(f"model {self.model_id} is served by an upstream provider, which offers no tokenizer")
