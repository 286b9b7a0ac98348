"""Settings for the vLLM backend and their mapping to vLLM's ``AsyncEngineArgs``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helixflow.worker.adapters import AdapterSpec
from helixflow.worker.admission import QueueShares
from helixflow.worker.backends.vllm_adapters import lora_engine_kwargs, on_cpu
from helixflow.worker.config import DEFAULT_MAX_SEQUENCES, DEFAULT_MAX_WAITING, VllmSettings, WorkerSettings
from helixflow.worker.engine import DEFAULT_PRIORITY_AGING_S


@dataclass(frozen=True, slots=True)
class VllmEngineConfig:
    """What the vLLM backend needs; ``engine_kwargs()`` feeds ``AsyncEngineArgs``."""

    model: str
    model_id: str = ""
    aliases: tuple[str, ...] = ()
    tokenizer: str | None = None
    tensor_parallel_size: int = VllmSettings.model_fields["tensor_parallel_size"].default
    gpu_memory_utilization: float = VllmSettings.model_fields["gpu_memory_utilization"].default
    max_model_len: int | None = None
    dtype: str = VllmSettings.model_fields["dtype"].default
    quantization: str | None = None
    max_num_seqs: int = DEFAULT_MAX_SEQUENCES
    max_waiting: int = DEFAULT_MAX_WAITING
    queue_shares: QueueShares = field(default_factory=QueueShares)  # of max_waiting, per priority class
    priority_aging_s: float = DEFAULT_PRIORITY_AGING_S  # see vllm_priority
    enable_prefix_caching: bool = True
    # "auto" lets vLLM pick; "pooling" (with convert="embed") serves embeddings.
    runner: str = "auto"
    convert: str = "auto"
    enforce_eager: bool = False
    seed: int = 0
    # Anything else AsyncEngineArgs takes (e.g. kv_cache_memory_bytes, max_num_batched_tokens).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # LoRA adapters (PEFT folders), one LoRARequest each (see vllm_adapters).
    adapters: tuple[AdapterSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.model_id:
            object.__setattr__(self, "model_id", Path(self.model).name or self.model)

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> VllmEngineConfig:
        if settings.model_path is None:
            raise ValueError("the vllm backend needs HELIXFLOW_WORKER_MODEL_PATH (a Hugging Face model folder)")
        own = settings.vllm
        return cls(
            model=str(settings.model_path),
            model_id=settings.model_id,
            aliases=tuple(settings.aliases),
            tensor_parallel_size=own.tensor_parallel_size,
            gpu_memory_utilization=own.gpu_memory_utilization,
            max_model_len=settings.context_per_sequence,
            dtype=own.dtype,
            quantization=own.quantization,
            max_num_seqs=settings.max_sequences,
            max_waiting=settings.max_waiting,
            queue_shares=settings.queue_shares,
            priority_aging_s=settings.priority_aging_s,
            extra=dict(own.engine_args),
            adapters=tuple(settings.adapters),
        )

    def engine_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "served_model_name": self.model_id,
            "tensor_parallel_size": self.tensor_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "dtype": self.dtype,
            "max_num_seqs": self.max_num_seqs,
            "enable_prefix_caching": self.enable_prefix_caching,
            "enforce_eager": self.enforce_eager,
            "seed": self.seed,
            "runner": self.runner,
            "convert": self.convert,
            # Stats still reach our own stat logger; this only mutes vLLM's periodic log lines.
            "disable_log_stats": True,
            # Waiting requests go by aged priority class, then arrival (``vllm_priority``). vLLM
            # preempts a running request only when KV blocks run out, as under "fcfs".
            "scheduling_policy": "priority",
        }
        if self.tokenizer is not None:
            kwargs["tokenizer"] = self.tokenizer
        if self.max_model_len is not None:
            kwargs["max_model_len"] = self.max_model_len
        if self.quantization is not None:
            kwargs["quantization"] = self.quantization
        if self.adapters:
            kwargs.update(lora_engine_kwargs(self.adapters, self.max_num_seqs, cpu=on_cpu()))
        kwargs.update(self.extra)
        return kwargs
