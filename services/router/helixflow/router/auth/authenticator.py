"""Turns a bearer token into a Principal: API key (by prefix) or JWT."""

from __future__ import annotations

from helixflow.common.errors import Unauthenticated
from helixflow.router.auth.jwt_verifier import JwtVerifier
from helixflow.router.auth.principal import Principal
from helixflow.router.backend import BACKEND_ERRORS, REDIS_DOWN, BackendUnavailable
from helixflow.router.keys.service import KeyService, principal_for


class Authenticator:
    def __init__(self, keys: KeyService, jwt_verifier: JwtVerifier | None, api_key_prefix: str) -> None:
        self._keys = keys
        self._jwt = jwt_verifier
        self._prefix = api_key_prefix

    async def __call__(self, token: str) -> Principal:
        if token.startswith(self._prefix):
            # Read from the store on every call: a revocation holds on the next request everywhere.
            try:
                record = await self._keys.lookup(token)
            except REDIS_DOWN:
                # Never admit an unchecked key, whatever the quota policy says.
                BACKEND_ERRORS.labels(component="keys", outcome="refused").inc()
                raise BackendUnavailable("key store unreachable; retry shortly", retry_after_s=1.0) from None
            if record is None:
                raise Unauthenticated("unknown, revoked or expired API key")
            return principal_for(record)
        if self._jwt is not None and token.count(".") == 2:
            return self._jwt.verify(token)
        raise Unauthenticated("the bearer token is neither an API key nor an accepted JWT")
