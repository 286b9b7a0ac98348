"""Pieces shared by the chat and completions request models."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from helixflow.common.errors import InvalidArgument
from helixflow.v1 import common_pb2

# The contract's max_tokens is a uint32: a bigger value must be a 400, not a failed conversion.
MAX_TOKENS_LIMIT = 2**32 - 1


def _lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """The path of the first string that is not valid Unicode (JSON allows "\\ud800";
    protobuf strings must be UTF-8), or None."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path or "(value)"
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if (found := _lone_surrogate_at(item, f"{path}.{key}" if path else str(key))) is not None:
            return found
    return None


class StrictModel(BaseModel):
    """Unknown fields are an error that names them, and so is a wrong JSON type: "3" is
    not a number and "yes" is not a boolean (as OpenAI answers). Never silently ignored
    or coerced."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        # A domain error, not a ValueError: pydantic lets it through with the field's path.
        if (where := _lone_surrogate_at(data)) is not None:
            raise InvalidArgument(f"text at '{where}' is not valid Unicode (a lone surrogate)", field=where)
        return data


class StreamOptions(StrictModel):
    include_usage: bool | None = None


class JsonSchemaSpec(StrictModel):
    name: str = Field(max_length=64)
    description: str | None = None
    # "schema" shadows a BaseModel attribute, hence the alias.
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class ResponseFormatText(StrictModel):
    type: Literal["text"]


class ResponseFormatJsonObject(StrictModel):
    type: Literal["json_object"]


class ResponseFormatJsonSchema(StrictModel):
    type: Literal["json_schema"]
    json_schema: JsonSchemaSpec


ResponseFormat = Annotated[
    ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema, Field(discriminator="type")
]

Stop = str | Annotated[list[str], Field(max_length=16)] | None


class HasSampling(Protocol):
    """The sampling fields chat and completions share (and the extensions)."""

    temperature: float | None
    top_p: float | None
    top_k: int | None
    min_p: float | None
    ignore_eos: bool | None
    seed: int | None
    presence_penalty: float | None
    frequency_penalty: float | None
    repetition_penalty: float | None


def fill_sampling(req: HasSampling, sp: common_pb2.SamplingParams, *, max_tokens: int | None, stop: Stop) -> None:
    """Copy set fields only: an unset field stays unset so the worker uses the model default."""
    if req.temperature is not None:
        sp.temperature = req.temperature
    if req.top_p is not None:
        sp.top_p = req.top_p
    if req.top_k is not None and req.top_k > 0:
        sp.top_k = req.top_k
    if req.min_p is not None:
        sp.min_p = req.min_p
    if max_tokens is not None:
        sp.max_tokens = max_tokens
    if req.ignore_eos is not None:
        sp.ignore_eos = req.ignore_eos
    if stop is not None:
        sp.stop.extend([stop] if isinstance(stop, str) else stop)
    if req.seed is not None:
        sp.seed = req.seed
    if req.presence_penalty is not None:
        sp.presence_penalty = req.presence_penalty
    if req.frequency_penalty is not None:
        sp.frequency_penalty = req.frequency_penalty
    if req.repetition_penalty is not None:
        sp.repetition_penalty = req.repetition_penalty


# Extension fields, declared last in each request model (vLLM's OpenAI server accepts
# these and HelixFlow's contract has them).
MIN_P_DOC = "Extension: drop tokens below min_p times the top token's probability"
REP_DOC = "Extension: multiplicative penalty on tokens already present"
EOS_DOC = "Extension: keep generating past end-of-sequence (benchmarks)"


def reject_unsupported(model: BaseModel, allowed: dict[str, tuple[Any, ...]]) -> None:
    """400 naming the first field set to a value we cannot honour.

    ``allowed`` maps a field name to the values that mean "feature off" (None
    is always accepted).
    """
    for name, ok_values in allowed.items():
        value = getattr(model, name)
        if value is None or value in ok_values:
            continue
        raise InvalidArgument(f"'{name}' is not supported by HelixFlow; remove it or use its default", field=name)


def apply_response_format(sp: common_pb2.SamplingParams, fmt: BaseModel | None) -> None:
    """json_object -> the schema {"type": "object"}; json_schema -> its schema."""
    if isinstance(fmt, ResponseFormatJsonObject):
        sp.structured_output.json_schema = '{"type": "object"}'
    elif isinstance(fmt, ResponseFormatJsonSchema):
        schema = fmt.json_schema.schema_ if fmt.json_schema.schema_ is not None else {}
        sp.structured_output.json_schema = json.dumps(schema)
