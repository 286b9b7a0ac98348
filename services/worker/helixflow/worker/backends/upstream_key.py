"""Where an upstream engine's API key comes from, and re-reading it after a 401.

A file (a mounted Secret), an environment variable, or a secret stored by
HelixFlow (``upstream.api_key_secret``: encrypted in the shared Redis, decrypted
here with the keyring from the environment). The key is read at load; when the
upstream refuses it (401), the source is read again, and a changed key is used
from then on, so a provider key rotated by the operator needs no restart.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis

from helixflow.common.errors import HelixError, UpstreamUnavailable
from helixflow.common.secrets import Keyring, SecretStore, SecretsUnavailable
from helixflow.worker.backends.upstream_http import Secret
from helixflow.worker.upstream_settings import UpstreamSettings

log = logging.getLogger(__name__)
_REDIS_DOWN = (aioredis.ConnectionError, aioredis.TimeoutError, OSError)


class UpstreamKey:
    """The current key of one engine; never logged (``Secret`` hides it)."""

    def __init__(self, settings: UpstreamSettings) -> None:
        self._settings = settings
        self.current = Secret("")
        self._store: SecretStore | None = None
        self._redis: aioredis.Redis | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> Secret:
        name = self._settings.api_key_secret
        if name and self._store is None:
            keyring = Keyring.from_env(name=self._settings.secrets_keys_env)
            if keyring is None:
                raise SecretsUnavailable(
                    f"upstream.api_key_secret needs the keyring in ${self._settings.secrets_keys_env}"
                )
            self._redis = aioredis.Redis.from_url(
                self._settings.secrets_redis_url, socket_timeout=2.0, socket_connect_timeout=2.0
            )
            self._store = SecretStore(self._redis, keyring)
        self.current = Secret(await self._read())
        return self.current

    async def _read(self) -> str:
        if self._store is None:
            return self._settings.read_api_key()
        name = self._settings.api_key_secret
        try:
            return await self._store.reveal(name)
        except _REDIS_DOWN:
            raise UpstreamUnavailable(
                f"the stored upstream secret {name!r} cannot be read: upstream.secrets_redis_url is unreachable"
            ) from None

    async def refresh(self, refused: Secret) -> bool:
        """After the upstream refused ``refused``: read the source again; True when the key
        changed (the caller retries once with it). Concurrent 401s read it once."""
        async with self._lock:
            if self.current.reveal() != refused.reveal():
                return True  # another request already picked up the new key
            try:
                fresh = await self._read()
            except (HelixError, OSError, ValueError) as err:
                log.error("re-reading the upstream key after a 401 failed: %s", type(err).__name__)
                return False
            if fresh == refused.reveal():
                return False
            log.warning("the upstream refused the API key; re-read it from its source and found a new one")
            self.current = Secret(fresh)
            return True

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis, self._store = None, None
