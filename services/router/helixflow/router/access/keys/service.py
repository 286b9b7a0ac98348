"""Creating, checking and revoking API keys on top of a KeyStore."""

from __future__ import annotations

import time

from helixflow.common.errors import InvalidArgument, ModelNotFound
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.keys.record import KeyRecord, hash_secret, new_key_id, new_secret
from helixflow.router.access.keys.store import KeyStore
from helixflow.router.access.pricing import nanos
from helixflow.router.access.quota.budget import check_period
from helixflow.router.access.state import refused_when_down
from helixflow.v1 import common_pb2

# A secret chosen by an operator must be at least this long (a new one has 43+ characters).
MIN_GIVEN_SECRET = 24


class KeyNotFound(ModelNotFound):
    """NOT_FOUND for an unknown key id (the reason enum has no key-specific value)."""


class KeyService:
    """Every store call runs under ``refused_when_down``: a dead Redis is UNAVAILABLE, never INTERNAL."""

    def __init__(self, store: KeyStore, prefix: str = "hf_") -> None:
        self.store = store
        self._prefix = prefix

    async def create(self, record_template: KeyRecord, secret: str | None = None) -> tuple[KeyRecord, str]:
        """Store a new key and return it with its secret; the secret is not kept anywhere.
        ``secret`` installs a secret the caller chose (an operator's bootstrap key) instead."""
        if not record_template.name:
            raise InvalidArgument("a key needs a name", field="name")
        record_template.budget_period = check_period(record_template.budget_period)
        if record_template.budget_usd is not None and record_template.budget_usd < 0:
            raise InvalidArgument("budget_usd must not be negative", field="scopes.budget_usd")
        if secret is None:
            secret = new_secret(self._prefix)
        elif len(secret) < MIN_GIVEN_SECRET or secret != secret.strip():
            raise InvalidArgument(
                f"a given secret needs at least {MIN_GIVEN_SECRET} characters and no surrounding space",
                field="secret",
            )
        record_template.key_id = new_key_id()
        record_template.secret_sha256 = hash_secret(secret)
        record_template.display_prefix = secret[: len(self._prefix) + 4]
        record_template.created_at = time.time()
        record_template.revoked_at = None
        with refused_when_down("keys", "the key was not created"):
            await self.store.put(record_template)
        return record_template, secret

    async def lookup(self, secret: str) -> KeyRecord | None:
        """The active record for a presented secret, or None (unknown, revoked or expired)."""
        with refused_when_down("keys", "the API key could not be checked"):
            record = await self.store.find_by_hash(hash_secret(secret))
        if record is None or not record.active(time.time()):
            return None
        return record

    async def list(self) -> list[KeyRecord]:
        with refused_when_down("keys", "the keys could not be listed"):
            return await self.store.list()

    async def get(self, key_id: str) -> KeyRecord:
        with refused_when_down("keys", "the key could not be read"):
            return _found(await self.store.get(key_id), key_id)

    async def revoke(self, key_id: str) -> KeyRecord:
        """Mark the key revoked (once; the record stays, for listings and usage)."""
        with refused_when_down("keys", "the key was not revoked"):
            record = _found(await self.store.get(key_id), key_id)
            if record.revoked_at is None:
                record.revoked_at = time.time()
                await self.store.put(record)
        return record


def _found(record: KeyRecord | None, key_id: str) -> KeyRecord:
    if record is None:
        raise KeyNotFound(f"no key with id {key_id!r}", field="key_id")
    return record


def principal_for(record: KeyRecord) -> Principal:
    return Principal(
        subject=record.key_id,
        key_id=record.key_id,
        permissions=frozenset(record.permissions),
        models=tuple(record.models),
        rpm=record.rpm,
        tpm=record.tpm,
        max_concurrent_streams=record.max_concurrent_streams,
        max_priority=common_pb2.PRIORITY_NORMAL if record.max_priority is None else record.max_priority,
        budget_nanos=None if record.budget_usd is None else nanos(record.budget_usd),
        budget_period=record.budget_period,
        project_id=record.project_id,
    )
