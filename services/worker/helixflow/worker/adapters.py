"""LoRA adapters of the worker's base model: their settings and how a request picks one.

Adapters are declared with the base model they belong to (``WorkerSettings.adapters``,
``HELIXFLOW_WORKER_ADAPTERS='[{"id": "pirate", "path": "/models/pirate.gguf"}]'``).
A request picks an adapter by model name, as ``vllm serve --lora-modules`` does: a
request whose ``model`` is an adapter id runs on the base model with that adapter;
any other name runs the base model alone. So OpenAI clients need no change.

Each backend applies adapters its own way (``backends/llama_adapters``, and
``LoRARequest`` in ``backends/vllm``); this module is what they share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from helixflow.worker.engine import EngineInfo, GenerationRequest


class AdapterSpec(BaseModel):
    """One LoRA adapter of the base model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="the model name requests use to pick this adapter")
    path: Path = Field(description="llama.cpp: a LoRA GGUF; vLLM: a PEFT adapter folder")
    scale: float = Field(
        1.0, gt=0, description="llama.cpp: multiplier of the adapter's alpha/rank; vLLM takes 1.0 only"
    )


def check_adapter_ids(model_id: str, aliases: Iterable[str], adapters: Sequence[AdapterSpec]) -> None:
    """Raise ValueError unless every adapter id is unique and differs from the base model's names."""
    taken = {model_id, *aliases}
    seen: set[str] = set()
    for spec in adapters:
        if spec.id in taken:
            raise ValueError(f"adapter id {spec.id!r} is also the base model's id or alias")
        if spec.id in seen:
            raise ValueError(f"adapter id {spec.id!r} is declared twice")
        seen.add(spec.id)


def check_adapter_files(adapters: Sequence[AdapterSpec]) -> None:
    """Raise FileNotFoundError for an adapter whose path is missing (at load, not per request)."""
    for spec in adapters:
        if not spec.path.exists():
            raise FileNotFoundError(f"adapter {spec.id!r}: {spec.path} does not exist")


def with_adapter(request: GenerationRequest, model: str, info: EngineInfo) -> GenerationRequest:
    """The request with the adapter its model name picks ("" = the base model)."""
    if model and model in info.adapters:
        return dataclasses.replace(request, adapter=model)
    return request
