"""JWT verification with public keys from a PEM file or a JWKS file.

The accepted algorithms are a fixed whitelist (RS256/ES256 by default) and are
never read from the token, so ``alg: none`` and HS256-signed-with-the-public-key
(algorithm confusion) tokens fail verification.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from helixflow.common.errors import Unauthenticated
from helixflow.router.access.auth.principal import Principal
from helixflow.v1 import admin_pb2, common_pb2

_PERMISSIONS = {"inference": admin_pb2.PERMISSION_INFERENCE, "admin": admin_pb2.PERMISSION_ADMIN}
_ASYMMETRIC = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}


T = TypeVar("T")


class _CachedFile(Generic[T]):
    """A key file, read and parsed again only when its mtime changes (rotation without restart)."""

    def __init__(self, path: Path, parse: Callable[[str], T]) -> None:
        self.path = path
        self._parse = parse
        self._mtime: float | None = None
        self._value: T | None = None

    def value(self) -> T:
        mtime = self.path.stat().st_mtime
        if self._value is None or mtime != self._mtime:
            self._value = self._parse(self.path.read_text())
            self._mtime = mtime
        return self._value


def _parse_pem(text: str) -> Any:
    return load_pem_public_key(text.encode())


def _parse_jwks(text: str) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_dict(json.loads(text))


class JwtVerifier:
    def __init__(
        self,
        *,
        public_key_file: Path | None,
        jwks_file: Path | None,
        audience: str | None,
        issuer: str | None,
        algorithms: list[str],
        leeway_s: float = 0.0,
    ) -> None:
        if public_key_file is None and jwks_file is None:
            raise ValueError("JWT auth needs jwt_public_key_file or jwks_file")
        bad = [a for a in algorithms if a not in _ASYMMETRIC]
        if bad:
            raise ValueError(f"only asymmetric JWT algorithms are allowed, not {bad}")
        self._pem = (
            _CachedFile(public_key_file, lambda text: load_pem_public_key(text.encode())) if public_key_file else None
        )
        self._jwks = (
            _CachedFile(jwks_file, lambda text: jwt.PyJWKSet.from_dict(json.loads(text))) if jwks_file else None
        )
        self._audience = audience
        self._issuer = issuer
        self._algorithms = list(algorithms)
        self._leeway = leeway_s

    def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            kid = jwt.get_unverified_header(token).get("kid")
            for jwk in self._jwks.value().keys:
                if kid is None or jwk.key_id == kid:
                    return jwk.key
            raise Unauthenticated("the token's key id is not in the JWKS")
        assert self._pem is not None
        return self._pem.value()

    def verify(self, token: str) -> Principal:
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            # The reason is safe to show (no key material), and tells the caller what to fix.
            raise Unauthenticated(f"invalid token: {exc}") from None
        return principal_from_claims(claims)


def _opt_int(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Unauthenticated(f"claim {name!r} must be a non-negative integer")
    return value


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Scopes and limits from ``hf_*`` claims; no permissions claim means inference only."""
    names = claims.get("hf_permissions", ["inference"])
    models = claims.get("hf_models", [])
    if not isinstance(names, list) or not isinstance(models, list):
        raise Unauthenticated("claims hf_permissions and hf_models must be lists")
    permissions = frozenset(_PERMISSIONS[n] for n in names if n in _PERMISSIONS)
    return Principal(
        subject="jwt:" + str(claims["sub"]),
        permissions=permissions,
        models=tuple(str(m) for m in models),
        rpm=_opt_int(claims, "hf_rpm"),
        tpm=_opt_int(claims, "hf_tpm"),
        max_concurrent_streams=_opt_int(claims, "hf_max_concurrent_streams"),
        max_priority=_max_priority(claims),
    )


def _max_priority(claims: dict[str, Any]) -> int:
    """``hf_max_priority``: "low", "normal" or "high" (or the enum's number); unset = normal."""
    value = claims.get("hf_max_priority", "normal")
    if isinstance(value, str) and f"PRIORITY_{value.upper()}" in common_pb2.Priority.keys():  # noqa: SIM118 (an enum wrapper, not a dict)
        return int(common_pb2.Priority.Value(f"PRIORITY_{value.upper()}"))
    if isinstance(value, int) and not isinstance(value, bool) and value in common_pb2.Priority.values() and value:
        return value
    raise Unauthenticated("claim 'hf_max_priority' must be one of low, normal, high")
