"""API key secrets and records. Only the SHA-256 of a secret is ever kept."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass, field

from helixflow.v1 import admin_pb2


def new_secret(prefix: str) -> str:
    """A random bearer secret, prefixed so leaked keys are easy to spot (e.g. by secret scanners)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


@dataclass(slots=True)
class KeyRecord:
    """What the store holds for a key: metadata and the secret's hash, never the secret."""

    key_id: str
    name: str
    secret_sha256: str
    display_prefix: str
    permissions: list[int] = field(default_factory=lambda: [admin_pb2.PERMISSION_INFERENCE])
    models: list[str] = field(default_factory=list)
    rpm: int | None = None
    tpm: int | None = None
    max_concurrent_streams: int | None = None
    max_priority: int | None = None  # helixflow.v1.Priority; None means NORMAL
    expires_at: float | None = None
    created_at: float = field(default_factory=time.time)
    revoked_at: float | None = None
    budget_usd: float | None = None
    budget_period: str = ""
    project_id: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> KeyRecord:
        return cls(**json.loads(raw))

    def active(self, now: float) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at
