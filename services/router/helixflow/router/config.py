"""Router settings: read once at start-up (env prefix HELIXFLOW_ROUTER_) and passed down."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from helixflow.common.config import TlsSettings
from helixflow.common.logs import LogFormat
from helixflow.router.access.pricing import Price
from helixflow.router.access.settings import AccessSettings

PolicyName = Literal["round_robin", "least_load", "prefix_affinity"]


class RouterSettings(BaseSettings):
    """Everything the router needs. Nested fields use ``__``: HELIXFLOW_ROUTER_WORKER_TLS__CA_FILE."""

    model_config = SettingsConfigDict(env_prefix="HELIXFLOW_ROUTER_", env_nested_delimiter="__")

    listen: str = "127.0.0.1:50051"
    # The router's own listener. Plaintext is fine on loopback; set files for mTLS.
    tls: TlsSettings = Field(default_factory=lambda: TlsSettings(insecure=True))
    # Client certificate for mutual TLS to the workers. None means "not configured" and is
    # refused at start-up, so a missing setting can never silently downgrade to plaintext.
    worker_tls: TlsSettings | None = None
    # Name the workers' certificates must carry. Workers found through DNS are dialled
    # by pod IP, so by default this is the host of worker_dns (the Service name).
    worker_tls_server_name: str | None = None
    # How often to look for rotated client certificate files (cert-manager renewals).
    worker_tls_reload_s: float = Field(5.0, gt=0)
    # Static worker addresses: HELIXFLOW_ROUTER_WORKERS="10.0.0.5:50061,10.0.0.6:50061".
    workers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # A name resolving to many addresses (Kubernetes headless Service), as host:port.
    worker_dns: str | None = None
    dns_refresh_s: float = 5.0
    # Health service name the workers report readiness under.
    worker_health_service: str = "helixflow.v1.Worker"
    load_report_interval_ms: int = 200

    policy: PolicyName = "prefix_affinity"
    # Go to the least-loaded worker when the preferred one has more than this many
    # requests (waiting + running) above it. A spill-over costs a cold prefill of the
    # shared prefix, while a cache hit is prefilled first on a busy worker; the ring's
    # bounded loads already keep prefix groups spread. On bench/router.py part (c), 4
    # kept TTFT p50 at 0.17-0.26x round-robin over eight runs, while 2 had a run at
    # 0.65x (more spill-overs, fewer hits). Raise it for workers with more than the
    # default 16 slots.
    affinity_margin: float = 4.0
    # How much of the normalized prompt makes the affinity key, in blocks of this many chars.
    affinity_block_chars: int = 256
    affinity_blocks: int = 4

    retry_attempts: int = 3
    retry_backoff_s: float = 0.05
    max_request_s: float = 600.0
    # Large Embed batches are split across workers in chunks of at least this many inputs.
    embed_split_min: int = 32
    # Coalesce a Generate stream for a client slower than the tokens: while a write to it
    # is pending (the backlog) or less than this many ms after the last one, queued deltas
    # merge into one message (order, text, token ids and logprobs kept). 0 = off: one
    # message per worker message.
    stream_interval_ms: float = Field(0.0, ge=0)
    # Serve with SO_REUSEPORT, so several router processes can share one port
    # (`helixflow router --processes N` sets it).
    reuse_port: bool = False

    # alias -> model id, e.g. {"gemma": "gemma-3-270m"}.
    model_aliases: dict[str, str] = Field(default_factory=dict)
    # Fallback chains: alias -> model ids tried in order until one sends its first message
    # (helixflow.router.fallback), e.g. {"smart": ["gemma-3-270m", "gpt-4o-mini"]}.
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    # A chain target (not the last) that sent nothing for this long falls through; 0 = wait.
    fallback_first_token_s: float = Field(0.0, ge=0)
    # model id -> USD per million prompt, cached and completion tokens (helixflow.router.access.pricing),
    # e.g. {"gpt-4o-mini": {"prompt": 0.15, "cached": 0.075, "completion": 0.6}}.
    pricing: dict[str, Price] = Field(default_factory=dict)
    metrics_port: int = 9090
    # Log lines as "json" (one object per line, with request_id) or "text".
    log_format: LogFormat = "json"
    # OpenTelemetry OTLP/gRPC endpoint (e.g. http://otel-collector:4317); empty = tracing off.
    otlp_endpoint: str = ""
    drain_grace_s: float = 30.0
    # Send clients a GOAWAY after a connection has lived this long (0 = never), so they
    # reconnect and re-resolve: behind a headless Service, new router pods get traffic.
    # Calls open at that moment may finish (grace: max_request_s), so no stream is cut.
    max_connection_age_s: float = Field(0.0, ge=0)
    # Auth, quotas, usage and caches (HELIXFLOW_ROUTER_ACCESS__REDIS_URL, ...__AUTH_ENABLED=false, ...).
    access: AccessSettings = Field(default_factory=AccessSettings)

    def server_options(self) -> list[tuple[str, int]]:
        """gRPC server options these settings add to the shared ones."""
        options = [("grpc.so_reuseport", 1)] if self.reuse_port else []
        if not self.max_connection_age_s:
            return options
        return [
            *options,
            ("grpc.max_connection_age_ms", max(1, round(self.max_connection_age_s * 1000))),
            ("grpc.max_connection_age_grace_ms", max(1, round(self.max_request_s * 1000))),
        ]

    def worker_tls_name(self) -> str | None:
        """The TLS name to verify on worker certificates, or None for the dialled address."""
        if self.worker_tls_server_name:
            return self.worker_tls_server_name
        if self.worker_dns:
            return self.worker_dns.rpartition(":")[0].strip("[]") or None
        return None

    @field_validator("workers", mode="before")
    @classmethod
    def _split_workers(cls, value: Any) -> Any:
        # A comma-separated string from the environment; lists pass through.
        if isinstance(value, str):
            return [w.strip() for w in value.split(",") if w.strip()]
        return value
