"""Worker settings: environment variables HELIXFLOW_WORKER_*, read once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from helixflow.common.config import TlsSettings
from helixflow.common.logs import LogFormat
from helixflow.worker.extra_buffers import ExtraBuffers
from helixflow.worker.upstream_settings import UpstreamSettings

Backend = Literal["llama_cpp", "vllm", "openai", "anthropic", "fake"]


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
    model_id: str = Field("gemma-3-270m", description="model name the router routes by")
    aliases: list[str] = Field(default_factory=list, description="other names for the model")
    model_path: Path | None = Field(None, description="GGUF file or HF folder; default: the packaged Gemma 3 270M")
    max_sequences: int = Field(16, ge=1, le=256, description="sequences decoded together (batch slots)")
    max_waiting: int = Field(64, ge=0, description="requests that may queue for a slot before RESOURCE_EXHAUSTED")
    context_per_sequence: int = Field(2048, ge=64, description="context window per sequence, tokens")
    n_threads: int | None = Field(None, ge=1, description="decode threads; default: all cores")
    n_gpu_layers: int = Field(0, description="layers offloaded to Metal/CUDA (-1 = all) with such a llama.cpp build")
    extra_buffer_types: ExtraBuffers = Field(
        "auto",
        description="llama.cpp weight repacking (AMX, CPU_REPACK): auto = off where the CPU has AMX "
        "(Q4_K crashes there), on elsewhere; on; off",
    )
    warmup: bool = Field(True, description="run one short real decode before reporting ready")
    liveness_check_s: float = Field(2.0, gt=0, description="how often liveness asks whether the engine still runs")
    load_report_ms: int = Field(250, ge=10, description="default WatchLoad interval")
    drain_grace_s: float = Field(30.0, ge=0, description="on SIGTERM, how long in-flight streams may finish")
    log_format: LogFormat = Field("json", description="log lines as json (one object per line) or text")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="lowest level logged")
    otlp_endpoint: str = Field("", description="OpenTelemetry OTLP/gRPC endpoint for traces; empty = tracing off")
    metrics_port: int = Field(9091, ge=0, description="Prometheus /metrics port; 0 disables")
    # vLLM pass-through (GPU workers).
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallel GPUs")
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1, description="vLLM share of GPU memory")
    dtype: str = Field("auto", description="vLLM dtype")
    quantization: str | None = Field(None, description="vLLM quantization method")
    vllm_engine_args: dict[str, Any] = Field(
        default_factory=dict,
        description='more vLLM AsyncEngineArgs as JSON, e.g. {"enforce_eager": true, "block_size": 32}',
    )
    # Upstream providers (backend openai or anthropic): one block, HELIXFLOW_WORKER_UPSTREAM__*.
    upstream: UpstreamSettings = Field(
        default_factory=UpstreamSettings, description="the remote provider the openai/anthropic backends call"
    )
