"""Settings for auth, quotas, usage and caches.

A plain pydantic model so the router's settings class can nest it (env
``HELIXFLOW_ROUTER_ACCESS__REDIS_URL`` and so on) and tests can build it directly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class AccessSettings(BaseModel):
    """Access control, quotas and caching for the router's public services."""

    # Auth is on unless explicitly switched off; `helixflow up` may turn it off locally and says so.
    auth_enabled: bool = True
    # Shared state for every replica. None: memory quotas and an SQLite key store (one process).
    redis_url: str | None = None
    key_db_path: Path = Path("helixflow-keys.sqlite3")
    api_key_prefix: str = "hf_"
    jwt_public_key_file: Path | None = None
    jwks_file: Path | None = None
    jwt_audience: str | None = None
    jwt_issuer: str | None = None
    # Whitelist: the algorithm is never taken from the token itself.
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwt_leeway_s: float = 0.0
    # What to do when Redis cannot be reached for a quota check: admit (open) or refuse (closed).
    quota_fail_open: bool = False
    # A spend budget reserves max_tokens completion tokens per request; a request without
    # max_tokens reserves this many (helixflow.router.access.quota.budget).
    budget_reserve_max_tokens: int = Field(4096, gt=0)
    # Opt-in: replaying a stored answer must be a deliberate choice (deterministic requests only).
    response_cache_enabled: bool = False
    response_cache_ttl_s: int = 3600
    response_cache_max_entries: int = 10_000
    response_cache_max_entry_bytes: int = 1 << 20
    embed_cache_enabled: bool = True
    embed_cache_ttl_s: int = 86_400
    embed_cache_max_entries: int = 100_000
    # The environment variable holding the upstream-secrets keyring (kid:base64key,...; the first encrypts).
    secrets_keys_env: str = "HELIXFLOW_SECRETS_KEYS"
