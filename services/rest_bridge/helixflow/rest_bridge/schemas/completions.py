"""POST /v1/completions (legacy) request, in the OpenAI API reference's field order."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from helixflow.common.errors import InvalidArgument
from helixflow.rest_bridge.schemas.common import (
    EOS_DOC,
    MAX_TOKENS_LIMIT,
    MIN_P_DOC,
    REP_DOC,
    Stop,
    StreamOptions,
    StrictModel,
    fill_sampling,
    reject_unsupported,
)
from helixflow.v1 import inference_pb2

_UNSUPPORTED: dict[str, tuple[Any, ...]] = {
    "best_of": (1,),
    "echo": (False,),
    "logit_bias": ({},),
    "suffix": ("",),
}


class CompletionRequest(StrictModel):
    """OpenAI's (legacy) text completion request."""

    model: str = Field(min_length=1)
    prompt: str | list[str] = Field(description="One prompt string (a one-element list is accepted)")
    best_of: int | None = Field(default=None, ge=1, le=20)
    echo: bool | None = None
    frequency_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    logit_bias: dict[str, float] | None = None
    logprobs: int | None = Field(default=None, ge=0, le=5)
    max_tokens: int | None = Field(default=None, ge=1, le=MAX_TOKENS_LIMIT)
    n: int | None = Field(default=None, ge=1, le=8)
    presence_penalty: float | None = Field(default=None, ge=-2.0, le=2.0)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    stop: Stop = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    suffix: str | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    user: str | None = Field(default=None, max_length=256)

    # --- Extensions (vLLM-compatible; not in OpenAI's API) ---
    top_k: int | None = Field(
        default=None, ge=-1, le=100_000, description="Extension: keep the k most likely tokens; -1 or 0 = off"
    )
    min_p: float | None = Field(default=None, ge=0.0, le=1.0, description=MIN_P_DOC)
    repetition_penalty: float | None = Field(default=None, gt=0.0, le=10.0, description=REP_DOC)
    ignore_eos: bool | None = Field(default=None, description=EOS_DOC)

    def prompt_text(self) -> str:
        if isinstance(self.prompt, str):
            return self.prompt
        if len(self.prompt) != 1:
            raise InvalidArgument("'prompt' must be one string (batched prompts are not supported)", field="prompt")
        return self.prompt[0]

    def to_proto(self) -> inference_pb2.GenerateRequest:
        """The gRPC request for one choice (the bridge sends it n times)."""
        reject_unsupported(self, _UNSUPPORTED)
        if self.stream_options is not None and not self.stream:
            raise InvalidArgument("'stream_options' is only allowed with 'stream': true", field="stream_options")
        req = inference_pb2.GenerateRequest(model=self.model, prompt=self.prompt_text(), user=self.user or "")
        fill_sampling(self, req.sampling, max_tokens=self.max_tokens, stop=self.stop)
        if self.logprobs is not None:
            req.sampling.logprobs = True
            req.sampling.top_logprobs = self.logprobs
        return req
