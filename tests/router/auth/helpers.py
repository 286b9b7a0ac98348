"""Small helpers for calling the mini routers and reading google.rpc details."""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc
import jwt
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from helixflow.v1 import common_pb2, inference_pb2

from .conftest import MiniRouter, RsaKeys


@dataclass
class Failure:
    code: grpc.StatusCode
    reason: str
    metadata: dict[str, str]
    retry_s: float | None


def failure(err: grpc.aio.AioRpcError) -> Failure:
    status = rpc_status.from_call(err)
    reason, metadata, retry = "", {}, None
    for detail in status.details if status else []:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        if detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry_info = error_details_pb2.RetryInfo()
            detail.Unpack(retry_info)
            retry = retry_info.retry_delay.ToNanoseconds() / 1e9
    return Failure(err.code(), reason, metadata, retry)


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def greedy_request(model: str = "gemma-3", prompt_ids: int = 5) -> inference_pb2.GenerateRequest:
    sampling = common_pb2.SamplingParams(temperature=0.0)
    return inference_pb2.GenerateRequest(
        model=model, token_ids=common_pb2.TokenIds(ids=list(range(prompt_ids))), sampling=sampling
    )


def sampled_request(model: str = "gemma-3", prompt_ids: int = 5) -> inference_pb2.GenerateRequest:
    return inference_pb2.GenerateRequest(model=model, token_ids=common_pb2.TokenIds(ids=list(range(prompt_ids))))


async def generate(
    router: MiniRouter, token: str | None, request: inference_pb2.GenerateRequest | None = None
) -> list[inference_pb2.GenerateResponse] | Failure:
    """The whole stream, or the failure that ended it."""
    metadata = bearer(token) if token else None
    try:
        call = router.stub.Generate(request or sampled_request(), metadata=metadata)
        return [message async for message in call]
    except grpc.aio.AioRpcError as err:
        return failure(err)


def make_jwt(rsa_keys: RsaKeys, **overrides: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "svc-a",
        "aud": "helixflow",
        "iss": "https://issuer.test",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, rsa_keys.private_pem, algorithm="RS256")
