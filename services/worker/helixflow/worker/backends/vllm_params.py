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

MAX_TOP_LOGPROBS = 20


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
    room = max_model_len - prompt_tokens
    kwargs: dict[str, Any] = {k: v for k, v in (defaults or {}).items() if k in _DEFAULTABLE and v is not None}
    for name in _OPTIONAL_FIELDS:
        value = getattr(options, name)
        if value is not None:
            kwargs[name] = value
    _validate(kwargs)
    if options.max_tokens is not None:
        if options.max_tokens < 1:
            raise InvalidArgument("max_tokens must be at least 1", field="sampling.max_tokens")
        kwargs["max_tokens"] = min(options.max_tokens, room)
    else:
        # vLLM's own default is 16 tokens; the contract's default is "until the context is full".
        kwargs["max_tokens"] = min(int(kwargs.get("max_tokens", room)), room)
    if options.ignore_eos:
        kwargs["ignore_eos"] = True
    if options.stop:
        if any(not s for s in options.stop):
            raise InvalidArgument("stop strings must not be empty", field="sampling.stop")
        kwargs["stop"] = list(options.stop)
    if options.stop_token_ids:
        kwargs["stop_token_ids"] = list(options.stop_token_ids)
    if options.logprobs or options.top_logprobs:
        if not 0 <= options.top_logprobs <= MAX_TOP_LOGPROBS:
            raise InvalidArgument(
                f"top_logprobs must be between 0 and {MAX_TOP_LOGPROBS}", field="sampling.top_logprobs"
            )
        kwargs["logprobs"] = options.top_logprobs
    return kwargs


def _validate(kwargs: Mapping[str, Any]) -> None:
    checks: dict[str, tuple[bool, str]] = {
        "temperature": (kwargs.get("temperature", 0.0) >= 0.0, "must be >= 0"),
        "top_p": (0.0 < kwargs.get("top_p", 1.0) <= 1.0, "must be in (0, 1]"),
        "top_k": (kwargs.get("top_k", 0) >= -1, "must be -1, 0 (off) or positive"),
        "min_p": (0.0 <= kwargs.get("min_p", 0.0) <= 1.0, "must be in [0, 1]"),
        "presence_penalty": (-2.0 <= kwargs.get("presence_penalty", 0.0) <= 2.0, "must be in [-2, 2]"),
        "frequency_penalty": (-2.0 <= kwargs.get("frequency_penalty", 0.0) <= 2.0, "must be in [-2, 2]"),
        "repetition_penalty": (kwargs.get("repetition_penalty", 1.0) > 0.0, "must be > 0"),
    }
    for name, (ok, why) in checks.items():
        if not ok:
            raise InvalidArgument(f"{name} {why}", field=f"sampling.{name}")


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
