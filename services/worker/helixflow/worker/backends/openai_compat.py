"""``openai`` backend: any OpenAI-compatible HTTP endpoint as a worker engine.

OpenAI itself, ``vllm serve``, llama-server, Ollama, another HelixFlow bridge.
A text or token prompt goes to ``/completions``, a conversation to
``/chat/completions`` (the upstream applies its chat template), both streamed
over SSE with ``stream_options.include_usage`` so the final usage is the
upstream's own count and router quotas stay exact. Only sampling fields the
caller set are sent (explicit presence); fields outside OpenAI's own API
(top_k, min_p, repetition_penalty, ignore_eos, stop_token_ids) are sent under
the names vLLM and llama-server accept, and only when set.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from importlib.metadata import version
from typing import Any

from helixflow.common.errors import InvalidArgument, UnsupportedConstraint, UpstreamUnavailable
from helixflow.worker.backends import upstream_http as up
from helixflow.worker.backends import upstream_tools as tools
from helixflow.worker.backends.upstream_engine import UpstreamEngine
from helixflow.worker.engine import (
    ChatPrompt,
    ConstraintKind,
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
from helixflow.worker.upstream_settings import UpstreamSettings

log = logging.getLogger(__name__)
PROVIDER = "openai"

_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH, "tool_calls": FinishReason.TOOL_CALLS}
# Where a caller's field goes when set (ours -> the upstream's name).
_OPTIONAL = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "max_tokens": "max_tokens",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "repetition_penalty": "repetition_penalty",
}


def sampling_body(sampling: SamplingOptions) -> dict[str, Any]:
    """The request fields for ``sampling``: only those set, never a default filled in."""
    body: dict[str, Any] = {}
    for ours, theirs in _OPTIONAL.items():
        value = getattr(sampling, ours)
        if value is not None:
            body[theirs] = value
    if sampling.stop:
        body["stop"] = list(sampling.stop)
    if sampling.ignore_eos:
        body["ignore_eos"] = True
    if sampling.stop_token_ids:
        body["stop_token_ids"] = list(sampling.stop_token_ids)
    if sampling.logprobs:
        raise InvalidArgument("the openai upstream backend does not return logprobs yet", field="sampling.logprobs")
    constraint = sampling.constraint
    if constraint is not None:
        if constraint.kind is not ConstraintKind.JSON_SCHEMA:
            raise UnsupportedConstraint(
                f"an openai upstream takes json_schema only, not {constraint.kind.value}",
                field="sampling.structured_output",
            )
        schema = json.loads(constraint.value)
        body["response_format"] = {"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}
    return body


def prompt_body(prompt: TextPrompt | ChatPrompt | TokenPrompt) -> tuple[str, dict[str, Any]]:
    """(path, fields) for the prompt: completions for text/tokens, chat for messages."""
    if isinstance(prompt, ChatPrompt):
        return "/chat/completions", {"messages": [tools.openai_message(m) for m in prompt.messages]}
    if isinstance(prompt, TokenPrompt):
        return "/completions", {"prompt": list(prompt.ids)}
    return "/completions", {"prompt": prompt.text}


def _usage(raw: dict[str, Any] | None) -> Usage | None:
    if not raw:
        return None
    details = raw.get("prompt_tokens_details") or {}
    return Usage(
        prompt_tokens=int(raw.get("prompt_tokens") or 0),
        completion_tokens=int(raw.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
    )


def _context_length(entry: dict[str, Any]) -> int:
    """A model list entry's context window, under the names vLLM, llama-server and others use."""
    meta = entry.get("meta") or {}
    for value in (entry.get("context_length"), entry.get("max_model_len"), meta.get("n_ctx_train")):
        if isinstance(value, int) and value > 0:
            return value
    return 0


class OpenAIEngine(UpstreamEngine):
    """An OpenAI-compatible endpoint behind the Engine protocol."""

    provider = PROVIDER

    def __init__(self, model_id: str, settings: UpstreamSettings, aliases: Sequence[str] = ()) -> None:
        super().__init__(model_id, settings, aliases)
        self._context_length = settings.context_length or 0

    async def load(self) -> None:
        """Read the key, open the pool, and find the model in the upstream's list."""
        if self._client is not None:
            return
        client = await self._connect({})
        listing = await up.get_json(client, PROVIDER, "/models", self._secret)
        entries = [e for e in listing.get("data", []) if isinstance(e, dict)]
        names = [str(e.get("id")) for e in entries]
        if not self.settings.model and self.model_id not in names and len(entries) == 1:
            self.upstream_model = names[0]  # a single-model server (llama-server): serve it under our name
        entry = next((e for e in entries if e.get("id") == self.upstream_model), None)
        if entry is None:
            raise UpstreamUnavailable(f"the openai upstream lists no model {self.upstream_model!r}; it has {names}")
        self._context_length = self.settings.context_length or _context_length(entry)
        log.info("openai upstream %s serves %s as %s", self.settings.base_url, self.upstream_model, self.model_id)

    def auth_headers(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def info(self) -> EngineInfo:
        capabilities = set(self.settings.capabilities)
        return EngineInfo(
            model_id=self.model_id,
            backend=PROVIDER,
            backend_version=version("httpx"),
            context_length=self._context_length,
            vocab_size=0,
            eos_token_ids=(),
            embedding_dimension=self.settings.embedding_dimension,
            constraints=frozenset({ConstraintKind.JSON_SCHEMA}),
            max_concurrent_sequences=self.settings.max_concurrent,
            max_waiting=0,
            has_chat_template=True,
            supports_generate="generate" in capabilities,
            supports_embed="embed" in capabilities,
            aliases=self.aliases,
            engine_options={"upstream": self.settings.base_url, "upstream_model": self.upstream_model},
            tool_parser=tools.TOOL_PARSER if "generate" in capabilities else "",
        )

    async def generate(self, request: GenerationRequest) -> AsyncGenerator[Event, None]:
        path, body = prompt_body(request.prompt)
        body |= sampling_body(request.sampling)
        if request.tools is not None:
            body |= tools.openai_tools(request.tools)
        body |= {"model": self.upstream_model, "stream": True, "stream_options": {"include_usage": True}}
        clock = up.Clock()
        with self._in_flight.track(request.request_id) as aborted:
            async with self._stream(path, body) as response:
                reason: FinishReason | None = None
                usage, produced = None, 0
                calls = tools.ToolCallCollector()
                async with aclosing(up.until_aborted(up.sse_events(response), aborted)) as events:
                    async for event in events:
                        if event.data == "[DONE]":
                            break
                        chunk = json.loads(event.data)
                        if "error" in chunk:  # a failure after the 200 (llama-server, vLLM send these)
                            message, _ = up.error_fields(event.data.encode())
                            raise UpstreamUnavailable(f"the openai upstream failed mid-stream: {message[:500]}")
                        usage = _usage(chunk.get("usage")) or usage
                        for choice in chunk.get("choices") or ():
                            delta = choice.get("delta") or {}
                            text = choice.get("text") or delta.get("content") or ""
                            pieces = tools.openai_deltas(delta, calls)
                            if text or pieces:
                                clock.delta()
                                produced += 1
                                yield Delta(text=text, token_ids=[], tool_calls=pieces)
                            if choice.get("finish_reason"):
                                reason = _FINISH.get(choice["finish_reason"], FinishReason.STOP)
            if aborted.is_set():
                reason = FinishReason.CANCELLED
            elif reason is None:
                raise UpstreamUnavailable("the openai upstream ended the stream without a finish reason")
            elif calls and reason is FinishReason.STOP:
                reason = FinishReason.TOOL_CALLS  # some servers finish a call with "stop"
            if usage is None:
                log.warning("the openai upstream sent no usage; counting %d chunks as tokens", produced)
                usage = Usage(prompt_tokens=0, completion_tokens=produced)
            yield Finished(
                reason=reason,
                usage=usage,
                timings=Timings(queue_s=0.0, time_to_first_token_s=clock.first, total_s=clock.total()),
                tool_calls=calls.calls() if reason is FinishReason.TOOL_CALLS else [],
            )

    async def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        if "embed" not in self.settings.capabilities:
            raise InvalidArgument(f"model {self.model_id} does not offer embeddings (upstream.capabilities)")
        body = {"model": self.upstream_model, "input": list(inputs), "encoding_format": "float"}
        result = await self._call(lambda http, key: up.post_json(http, PROVIDER, "/embeddings", body, key))
        rows = sorted(result["data"], key=lambda row: row["index"])
        vectors = [[float(v) for v in row["embedding"]] for row in rows]
        if normalize:
            vectors = [[v / (math.sqrt(sum(x * x for x in vec)) or 1.0) for v in vec] for vec in vectors]
        usage = result.get("usage") or {}
        return EmbedResult(vectors=vectors, prompt_tokens=int(usage.get("prompt_tokens") or 0))

    async def tokenize(self, prompt: TextPrompt | ChatPrompt, *, return_pieces: bool) -> TokenizeResult:
        raise InvalidArgument(f"model {self.model_id} is served by an upstream provider, which offers no tokenizer")
