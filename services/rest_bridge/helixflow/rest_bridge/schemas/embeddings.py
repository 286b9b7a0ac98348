"""POST /v1/embeddings request."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from helixflow.common.errors import InvalidArgument
from helixflow.rest_bridge.schemas.common import StrictModel
from helixflow.v1 import inference_pb2


class EmbeddingRequest(StrictModel):
    """OpenAI's embeddings request. Only text input: token-id arrays give a 400."""

    input: str | list[str] | list[int] | list[list[int]]
    model: str = Field(min_length=1)
    dimensions: int | None = Field(default=None, ge=1)
    encoding_format: Literal["float", "base64"] | None = None
    user: str | None = Field(default=None, max_length=256)

    def to_proto(self) -> inference_pb2.EmbedRequest:
        if self.dimensions is not None:
            raise InvalidArgument(
                "'dimensions' is not supported; the model's full dimension is returned", field="dimensions"
            )
        texts = [self.input] if isinstance(self.input, str) else self.input
        if not texts:
            raise InvalidArgument("'input' must not be empty", field="input")
        if not all(isinstance(t, str) for t in texts):
            raise InvalidArgument("'input' must be text; token-id arrays are not supported", field="input")
        return inference_pb2.EmbedRequest(model=self.model, inputs=[str(t) for t in texts], user=self.user or "")
