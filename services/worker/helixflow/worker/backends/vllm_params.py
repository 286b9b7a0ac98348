"""SamplingOptions -> keyword arguments for vLLM's ``SamplingParams``.

Pure Python (no vLLM import), so the mapping is testable without vLLM.
Only fields the caller set are passed; the rest come from the model's
``generation_config`` (``defaults``), then from vLLM's own defaults. A set
zero (``temperature=0``) is a value, never "unset".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from helixflow.common.errors import InvalidArgument, PromptTooLong
from helixflow.worker.engine import ConstraintKind, SamplingOptions
from helixflow.worker.sampling import validate_sampling

# vLLM SamplingParams fields we copy straight from SamplingOptions when set.
_OPTIONAL_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
)

# generation_config keys vLLM may report as model defaults that we honour.
_DEFAULTABLE = frozenset((*_OPTIONAL_FIELDS, "max_tokens"))


def sampling_kwargs(
    options: SamplingOptions,
    *,
    prompt_tokens: int,
    max_model_len: int,
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``SamplingParams`` (without output_kind and structured outputs)."""
    if prompt_tokens >= max_model_len:
        raise PromptTooLong(
            f"prompt has {prompt_tokens} tokens; the model's context is {max_model_len} tokens",
            field="prompt",
        )
    validate_sampling(options)
    room = max_model_len - prompt_tokens
    kwargs: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if k in _DEFAULTABLE and v is not None}
    for name in _OPTIONAL_FIELDS:
        value = getattr(options, name)
        if value is not None:
            kwargs[name] = value
    if options.max_tokens is not None:
        kwargs["max_tokens"] = min(options.max_tokens, room)
    else:
        # vLLM's own default is 16 tokens; the contract's default is "until the context is full".
        kwargs["max_tokens"] = min(int(kwargs.get("max_tokens", room)), room)
    if options.ignore_eos:
        kwargs["ignore_eos"] = True
    if options.stop:
        kwargs["stop"] = list(options.stop)
    if options.stop_token_ids:
        kwargs["stop_token_ids"] = list(options.stop_token_ids)
    if options.logprobs:
        kwargs["logprobs"] = options.top_logprobs
    return kwargs


def structured_kwargs(kind: ConstraintKind, value: str) -> dict[str, str]:
    """Keyword arguments for vLLM's ``StructuredOutputsParams``."""
    if not value:
        raise InvalidArgument("structured output constraint is empty", field="sampling.constraint")
    if kind is ConstraintKind.JSON_SCHEMA:
        try:
            json.loads(value)
        except ValueError as exc:
            raise InvalidArgument(f"json_schema is not valid JSON: {exc}", field="sampling.json_schema") from exc
        return {"json": value}
    if kind is ConstraintKind.REGEX:
        return {"regex": value}
    return {"grammar": value}
