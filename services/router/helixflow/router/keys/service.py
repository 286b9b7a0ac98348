"""Creating, checking and revoking API keys on top of a KeyStore."""

from __future__ import annotations

import time

from helixflow.common.errors import InvalidArgument, ModelNotFound
from helixflow.router.auth.principal import Principal
from helixflow.router.keys.record import KeyRecord, hash_secret, new_key_id, new_secret
from helixflow.router.keys.store import KeyStore

# A secret chosen by an operator must be at least this long (a new one has 43+ characters).
MIN_GIVEN_SECRET = 24


class KeyNotFound(ModelNotFound):
    """NOT_FOUND for an unknown key id (the reason enum has no key-specific value)."""


class KeyService:
    def __init__(self, store: KeyStore, prefix: str = "hf_") -> None:
        self.store = store
        self._prefix = prefix

    async def create(self, record_template: KeyRecord, secret: str | None = None) -> tuple[KeyRecord, str]:
        """Store a new key and return it with its secret; the secret is not kept anywhere.
        ``secret`` installs a secret the caller chose (an operator's bootstrap key) instead."""
        if not record_template.name:
            raise InvalidArgument("a key needs a name", field="name")
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
        await self.store.put(record_template)
        return record_template, secret

    async def lookup(self, secret: str) -> KeyRecord | None:
        """The active record for a presented secret, or None (unknown, revoked or expired)."""
        record = await self.store.find_by_hash(hash_secret(secret))
        if record is None or not record.active(time.time()):
            return None
        return record

    async def get(self, key_id: str) -> KeyRecord:
        record = await self.store.get(key_id)
        if record is None:
            raise KeyNotFound(f"no key with id {key_id!r}", field="key_id")
        return record

    async def revoke(self, key_id: str) -> KeyRecord:
        record = await self.store.revoke(key_id)
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
    )
