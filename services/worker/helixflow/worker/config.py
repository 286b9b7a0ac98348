"""Worker settings: environment variables HELIXFLOW_WORKER_*, read once at start-up.

What every backend reads sits at the top level; each backend's own knobs sit in
its section (``llama``, ``vllm``), set as ``HELIXFLOW_WORKER_VLLM__DTYPE`` and so on.
The defaults here are the only ones: the backends' configs take theirs from them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from helixflow.common.config import TlsSettings
from helixflow.common.logs import LogFormat
from helixflow.worker.adapters import AdapterSpec, check_adapter_ids
from helixflow.worker.admission import QueueShares
from helixflow.worker.catalog.settings import CatalogSettings
from helixflow.worker.engine import DEFAULT_PRIORITY_AGING_S
from helixflow.worker.extra_buffers import ExtraBuffers
from helixflow.worker.upstream_settings import UpstreamSettings

Backend = Literal["llama_cpp", "vllm", "openai", "anthropic", "fake"]

DEFAULT_MODEL_ID = "gemma-3-270m"
# 16 batched sequences give ~3x the tok/s of one on 2 cores (see bench/worker.py).
DEFAULT_MAX_SEQUENCES = 16
DEFAULT_MAX_WAITING = 64
DEFAULT_CONTEXT_PER_SEQUENCE = 2048


class LlamaSettings(BaseModel):
    """The llama.cpp backend's own settings (``HELIXFLOW_WORKER_LLAMA__*``)."""

    n_threads: int | None = Field(None, ge=1, description="decode threads; default: all cores")
    n_gpu_layers: int = Field(0, description="layers offloaded to Metal/CUDA (-1 = all) with such a llama.cpp build")
    extra_buffer_types: ExtraBuffers = Field(
        "auto",
        description="weight repacking (AMX, CPU_REPACK): auto = off where the CPU has AMX "
        "(Q4_K crashes there), on elsewhere; on; off",
    )
    step_budget_ms: float | None = Field(
        None, ge=0, description="time budget of a step carrying prompt tokens (default 1000; 0 = fixed chunks)"
    )


class VllmSettings(BaseModel):
    """The vLLM backend's own settings (``HELIXFLOW_WORKER_VLLM__*``), passed to ``AsyncEngineArgs``."""

    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallel GPUs")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="vLLM share of GPU memory")
    dtype: str = Field("auto", description="vLLM dtype")
    quantization: str | None = Field(None, description="vLLM quantization method")
    engine_args: dict[str, Any] = Field(
        default_factory=dict,
        description='more vLLM AsyncEngineArgs as JSON, e.g. {"enforce_eager": true, "block_size": 32}',
    )


# The names these settings had before, still read (the current name wins): the flat ones
# before the backend sections (HELIXFLOW_WORKER_N_THREADS is HELIXFLOW_WORKER_LLAMA__N_THREADS,
# and so on), and LLAMA__PRIORITY_AGING_S from before aging served both backends.
_OLD_ENV: dict[str, tuple[str, ...]] = {
    "N_THREADS": ("llama", "n_threads"),
    "N_GPU_LAYERS": ("llama", "n_gpu_layers"),
    "TENSOR_PARALLEL_SIZE": ("vllm", "tensor_parallel_size"),
    "GPU_MEMORY_UTILIZATION": ("vllm", "gpu_memory_utilization"),
    "DTYPE": ("vllm", "dtype"),
    "QUANTIZATION": ("vllm", "quantization"),
    "VLLM_ENGINE_ARGS": ("vllm", "engine_args"),
    "LLAMA__PRIORITY_AGING_S": ("priority_aging_s",),
}


class _OldEnv(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (*sections, key) in _OLD_ENV.items():
            raw = os.environ.get(f"HELIXFLOW_WORKER_{name}")
            if raw is not None:
                target = out
                for section in sections:
                    target = target.setdefault(section, {})
                target[key] = json.loads(raw) if key == "engine_args" else raw
        return out


class WorkerSettings(BaseSettings):
    """How a worker listens and which engine it runs."""

    model_config = SettingsConfigDict(env_prefix="HELIXFLOW_WORKER_", env_nested_delimiter="__", extra="forbid")

    listen: str = Field("127.0.0.1:50061", description="host:port for the Worker gRPC service; port 0 picks one")
    health_listen: str = Field(
        "", description="host:port for a plaintext grpc.health.v1-only listener (kubelet probes); empty = off"
    )
    tls: TlsSettings = Field(default_factory=TlsSettings, description="mTLS files; plaintext only with insecure=true")
    backend: Backend = Field(
        "llama_cpp", description="engine: llama_cpp, vllm, openai, anthropic, or the benchmark-only fake"
    )
    model_id: str = Field(DEFAULT_MODEL_ID, description="model name the router routes by")
    aliases: list[str] = Field(default_factory=list, description="other names for the model")
    model_path: Path | None = Field(None, description="GGUF file or HF folder; default: the packaged Gemma 3 270M")
    adapters: list[AdapterSpec] = Field(
        default_factory=list,
        description='LoRA adapters of the model, picked by request model name: [{"id", "path", "scale"}]',
    )
    max_sequences: int = Field(
        DEFAULT_MAX_SEQUENCES, ge=1, le=256, description="sequences decoded together (batch slots)"
    )
    max_waiting: int = Field(
        DEFAULT_MAX_WAITING, ge=0, description="requests that may queue for a slot before RESOURCE_EXHAUSTED"
    )
    queue_shares: QueueShares = Field(
        default_factory=QueueShares, description="share of max_waiting the low and normal priority classes may fill"
    )
    priority_aging_s: float = Field(
        DEFAULT_PRIORITY_AGING_S,
        ge=0,
        description="a waiting request's class rises one per this many seconds (0 = strict)",
    )
    context_per_sequence: int = Field(
        DEFAULT_CONTEXT_PER_SEQUENCE, ge=64, description="context window per sequence, tokens"
    )
    chat_template: str | None = Field(None, description="Jinja chat template replacing the model's own")
    warmup: bool = Field(True, description="run one short real decode before reporting ready")
    liveness_check_s: float = Field(2.0, gt=0, description="how often liveness asks whether the engine still runs")
    load_report_ms: int = Field(250, ge=10, description="default WatchLoad interval")
    stream_interval_ms: float = Field(
        0.0,
        ge=0,
        description="merge the deltas a Generate stream queues within this many ms into one message (0 = off)",
    )
    drain_grace_s: float = Field(30.0, ge=0, description="on SIGTERM, how long in-flight streams may finish")
    log_format: LogFormat = Field("json", description="log lines as json (one object per line) or text")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="lowest level logged")
    otlp_endpoint: str = Field("", description="OpenTelemetry OTLP/gRPC endpoint for traces; empty = tracing off")
    metrics_port: int = Field(9091, ge=0, description="Prometheus /metrics port; 0 disables")
    # Several models: HELIXFLOW_WORKER_CATALOG__MODELS='[{"id": ..., "source": ...}]', __MODELS_DIR, ...
    catalog: CatalogSettings = Field(
        default_factory=CatalogSettings, description="the models served and when they load and unload"
    )
    llama: LlamaSettings = Field(default_factory=LlamaSettings, description="llama.cpp backend settings")
    vllm: VllmSettings = Field(default_factory=VllmSettings, description="vLLM backend settings (GPU workers)")
    # Upstream providers (backend openai or anthropic): HELIXFLOW_WORKER_UPSTREAM__*.
    upstream: UpstreamSettings = Field(
        default_factory=UpstreamSettings, description="the remote provider the openai/anthropic backends call"
    )

    @model_validator(mode="after")
    def _adapter_ids(self) -> WorkerSettings:
        check_adapter_ids(self.model_id, self.aliases, self.adapters)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _OldEnv(settings_cls), dotenv_settings, file_secret_settings
