"""Bridge settings, read once at start-up (env prefix HELIXFLOW_BRIDGE_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from helixflow.common.logs import LogFormat
from helixflow.common.tls import TlsFiles


class BridgeSettings(BaseSettings):
    """Where the bridge listens, which router it calls, and its request limits."""

    model_config = SettingsConfigDict(env_prefix="HELIXFLOW_BRIDGE_", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    router_address: str = "127.0.0.1:50051"
    # gRPC load balancing over the addresses router_address resolves to. round_robin with
    # "dns:///<headless Service>:50051" spreads calls over every router pod (Kubernetes).
    router_lb_policy: Literal["pick_first", "round_robin"] = "pick_first"
    # TLS to the router: all three files for mTLS, only the CA for server-auth TLS, none for plaintext.
    router_ca_file: Path | None = None
    router_cert_file: Path | None = None
    router_key_file: Path | None = None
    router_server_name: str | None = Field(
        default=None, description="TLS name override when the router's certificate names a host, not an IP"
    )
    stream_interval_ms: float = Field(
        default=0.0,
        ge=0,
        description="Coalesce SSE deltas queued for a slow client, at most one chunk per this many ms (0 = off)",
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    request_timeout_s: float = Field(default=600.0, gt=0, description="gRPC deadline per call")
    max_n: int = Field(default=8, ge=1, description="Upper bound for the fan-out parameter n")
    system_fingerprint: str = "helixflow-v1"
    otlp_endpoint: str = Field(default="", description="OpenTelemetry OTLP/gRPC endpoint; empty = tracing off")
    console_enabled: bool = Field(default=True, description="serve the web console at /ui")
    console_session_ttl_s: float = Field(default=8 * 3600, gt=0, description="console sign-in idle lifetime")
    log_format: LogFormat = Field(default="json", description="log lines as json (with request_id) or text")
    # Stored responses (/v1/responses with store): Redis when a URL is set, so every bridge
    # replica can continue every conversation; otherwise a local SQLite file.
    redis_url: str = Field(default="", description="Redis for stored responses; empty = the SQLite file")
    responses_db_path: Path = Field(default=Path(".dev/responses.sqlite3"), description="SQLite stored responses")
    responses_ttl_s: float = Field(default=30 * 24 * 3600, gt=0, description="lifetime of a stored response")
    responses_max_entries: int = Field(default=10_000, ge=1, description="SQLite: oldest responses go past this")

    @model_validator(mode="after")
    def _tls_pairs(self) -> BridgeSettings:
        if (self.router_cert_file is None) != (self.router_key_file is None):
            raise ValueError("set router_cert_file and router_key_file together")
        if self.router_cert_file is not None and self.router_ca_file is None:
            raise ValueError("router_cert_file needs router_ca_file")
        return self

    def router_tls(self) -> TlsFiles | None:
        """mTLS files for the router channel, or None."""
        if self.router_ca_file and self.router_cert_file and self.router_key_file:
            return TlsFiles(ca_file=self.router_ca_file, cert_file=self.router_cert_file, key_file=self.router_key_file)
        return None
