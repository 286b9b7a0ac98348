"""Settings for the upstream-provider backends (``openai``, ``anthropic``).

One nested block of ``WorkerSettings`` (``HELIXFLOW_WORKER_UPSTREAM__*``), so it
moves as a unit. The API key itself is never a setting: the settings name a
file or an environment variable that holds it, read once when the engine loads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Capability = Literal["generate", "embed"]


class UpstreamSettings(BaseModel):
    """Where the upstream provider is and how the worker talks to it."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(
        "",
        description="openai: the API root with its /v1 (https://api.openai.com/v1, http://host:8080/v1); "
        "anthropic: the root without it (https://api.anthropic.com)",
    )
    model: str = Field(
        "", description="the upstream's model name; empty = the worker's model_id, or the only one listed"
    )
    api_key_file: Path | None = Field(None, description="file holding the upstream API key (a mounted Secret)")
    api_key_env: str = Field("", description="name of an environment variable holding the upstream API key")
    api_key_secret: str = Field(
        "", description="name of a secret stored by HelixFlow (`helixflow secrets set`), read from secrets_redis_url"
    )
    secrets_redis_url: str = Field("", description="the Redis the router keeps stored secrets in (api_key_secret)")
    secrets_keys_env: str = Field(
        "HELIXFLOW_SECRETS_KEYS", description="environment variable holding the keyring that decrypts api_key_secret"
    )
    context_length: int | None = Field(
        None, ge=1, description="the model's context window; default: what the upstream's model list says"
    )
    capabilities: list[Capability] = Field(
        default_factory=lambda: list[Capability](["generate"]),
        description="what the catalog entry offers: generate, embed",
    )
    embedding_dimension: int = Field(0, ge=0, description="vector size for embed (0 = unknown)")
    max_concurrent: int = Field(64, ge=1, description="requests in flight to the upstream before QUEUE_FULL")
    connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout")
    read_timeout_s: float = Field(300.0, gt=0, description="longest wait for the next bytes of a response")
    anthropic_version: str = Field("2023-06-01", description="anthropic-version header")
    default_max_tokens: int = Field(
        1024, ge=1, description="anthropic: max_tokens when the request sets none (the Messages API requires it)"
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> UpstreamSettings:
        sources = [self.api_key_file is not None, bool(self.api_key_env), bool(self.api_key_secret)]
        if sum(sources) > 1:
            raise ValueError("set at most one of upstream.api_key_file, api_key_env and api_key_secret")
        if self.api_key_secret and not self.secrets_redis_url:
            raise ValueError("upstream.api_key_secret needs upstream.secrets_redis_url")
        return self

    def read_api_key(self) -> str:
        """The key from the file, else the named environment variable, else "" (no auth header)."""
        if self.api_key_file is not None:
            return self.api_key_file.read_text().strip()
        if self.api_key_env:
            value = os.environ.get(self.api_key_env)
            if value is None:
                raise ValueError(f"upstream.api_key_env names {self.api_key_env}, which is not set")
            return value.strip()
        return ""
