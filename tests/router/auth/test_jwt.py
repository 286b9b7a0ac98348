"""JWT: valid, expired, wrong audience/issuer, alg none, HS256 with the public key, JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from helixflow.router.access.auth.jwt_verifier import JwtVerifier
from helixflow.v1 import admin_pb2

from .conftest import MiniRouter, RsaKeys, settings_for, start_router
from .helpers import Failure, generate, make_jwt, sampled_request
from .redis_proc import RedisProcess


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, object], claims: dict[str, object], key: bytes | None) -> str:
    """Hand-made token: pyjwt itself refuses to build these attacks."""
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = _b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key else ""
    return signing_input + "." + signature


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {"sub": "x", "aud": "helixflow", "iss": "https://issuer.test", "iat": now, "exp": now + 300}


@pytest.fixture
async def router(redis_proc: RedisProcess, rsa_keys: RsaKeys, router_factory: list[MiniRouter]) -> MiniRouter:
    router_factory.append(await start_router(settings_for(redis_proc.url, rsa_keys)))
    return router_factory[0]


async def test_valid_jwt_with_model_scope(router: MiniRouter, rsa_keys: RsaKeys) -> None:
    token = make_jwt(rsa_keys, hf_models=["gemma-*"], hf_rpm=100)
    assert isinstance(await generate(router, token, sampled_request("gemma-3")), list)
    denied = await generate(router, token, sampled_request("qwen"))
    assert isinstance(denied, Failure)
    assert denied.code == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": int(time.time()) - 10},
        {"aud": "someone-else"},
        {"iss": "https://evil.test"},
        {"nbf": int(time.time()) + 600},
        {"exp": None},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "not-yet-valid", "no-exp"],
)
async def test_bad_claims_are_unauthenticated(
    router: MiniRouter, rsa_keys: RsaKeys, overrides: dict[str, object]
) -> None:
    result = await generate(router, make_jwt(rsa_keys, **overrides))
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAUTHENTICATED


async def test_alg_none_is_rejected(router: MiniRouter) -> None:
    result = await generate(router, _unsigned({"alg": "none", "typ": "JWT"}, _claims(), None))
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAUTHENTICATED


async def test_hs256_signed_with_public_key_is_rejected(router: MiniRouter, rsa_keys: RsaKeys) -> None:
    token = _unsigned({"alg": "HS256", "typ": "JWT"}, _claims(), rsa_keys.public_pem)
    result = await generate(router, token)
    assert isinstance(result, Failure)
    assert result.code == grpc.StatusCode.UNAUTHENTICATED


async def test_admin_claim_grants_admin(router: MiniRouter, rsa_keys: RsaKeys) -> None:
    from .helpers import bearer

    inference_only = make_jwt(rsa_keys)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await router.admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=bearer(inference_only))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    admin = make_jwt(rsa_keys, hf_permissions=["admin"])
    await router.admin.ListKeys(admin_pb2.ListKeysRequest(), metadata=bearer(admin))


def test_es256_from_jwks_file(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwk.update(kid="k1", use="sig", alg="ES256")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    verifier = JwtVerifier(
        public_key_file=None, jwks_file=jwks, audience="helixflow", issuer=None, algorithms=["ES256"]
    )
    token = jwt.encode(_claims() | {"hf_tpm": 500}, private, algorithm="ES256", headers={"kid": "k1"})
    principal = verifier.verify(token)
    assert principal.subject == "jwt:x"
    assert principal.tpm == 500


def test_symmetric_algorithms_cannot_be_configured(rsa_keys: RsaKeys) -> None:
    with pytest.raises(ValueError, match="asymmetric"):
        JwtVerifier(
            public_key_file=rsa_keys.public_file,
            jwks_file=None,
            audience=None,
            issuer=None,
            algorithms=["HS256"],
        )
