"""The Admin service's upstream-secret RPCs: the encrypted store in Redis, or a clear
FAILED_PRECONDITION where this router has no Redis or no keyring."""

from __future__ import annotations

from helixflow.common.secrets import KEYRING_ENV, SecretRecord, SecretStore, SecretsUnavailable
from helixflow.router.access.admin.convert import ts
from helixflow.router.access.state import refused_when_down
from helixflow.v1 import admin_pb2


def secret_to_proto(record: SecretRecord) -> admin_pb2.UpstreamSecret:
    return admin_pb2.UpstreamSecret(
        name=record.name,
        key_id=record.key_id,
        create_time=ts(record.created_at),
        update_time=ts(record.updated_at),
    )


class SecretsAdmin:
    """What the four RPCs do; the servicer only unpacks requests."""

    def __init__(self, store: SecretStore | None, keys_env: str = KEYRING_ENV) -> None:
        self._store = store
        self._keys_env = keys_env

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            raise SecretsUnavailable(
                f"stored upstream secrets need the shared Redis (access.redis_url) and a keyring (${self._keys_env})"
            )
        return self._store

    async def set(self, name: str, value: str) -> admin_pb2.SetUpstreamSecretResponse:
        with refused_when_down("secrets", "the secret could not be stored"):
            record = await self.store.set(name, value)
        return admin_pb2.SetUpstreamSecretResponse(secret=secret_to_proto(record))

    async def list(self) -> admin_pb2.ListUpstreamSecretsResponse:
        with refused_when_down("secrets", "secrets could not be listed"):
            records = await self.store.list()
        return admin_pb2.ListUpstreamSecretsResponse(secrets=[secret_to_proto(r) for r in records])

    async def delete(self, name: str) -> admin_pb2.DeleteUpstreamSecretResponse:
        with refused_when_down("secrets", "the secret could not be deleted"):
            deleted = await self.store.delete(name)
        return admin_pb2.DeleteUpstreamSecretResponse(deleted=deleted)

    async def rotate(self) -> admin_pb2.RotateUpstreamSecretsResponse:
        with refused_when_down("secrets", "secrets could not be rotated"):
            rotated, current = await self.store.rotate()
        return admin_pb2.RotateUpstreamSecretsResponse(
            key_id=self.store.keyring.primary, rotated=rotated, current=current
        )
