"""Turns a bearer token into a Principal: API key (by prefix) or JWT."""

from __future__ import annotations

from helixflow.common.errors import Unauthenticated
from helixflow.router.access.auth.jwt_verifier import JwtVerifier
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.keys.service import KeyService, principal_for


class Authenticator:
    def __init__(self, keys: KeyService, jwt_verifier: JwtVerifier | None, api_key_prefix: str) -> None:
        self._keys = keys
        self._jwt = jwt_verifier
        self._prefix = api_key_prefix

    async def __call__(self, token: str) -> Principal:
        if token.startswith(self._prefix):
            # Read from the store on every call: a revocation holds on the next request everywhere.
            # A store that cannot be reached refuses the key (UNAVAILABLE), whatever the quota policy.
            record = await self._keys.lookup(token)
            if record is None:
                raise Unauthenticated("unknown, revoked or expired API key")
            return principal_for(record)
        if self._jwt is not None and token.count(".") == 2:
            return self._jwt.verify(token)
        raise Unauthenticated("the bearer token is neither an API key nor an accepted JWT")
