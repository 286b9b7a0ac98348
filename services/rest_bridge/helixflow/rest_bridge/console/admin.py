"""The console's calls to the router's Admin and Inference gRPC services, with the session's key."""

from __future__ import annotations

import time

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from starlette.requests import Request

from helixflow.rest_bridge.client import RouterClient
from helixflow.rest_bridge.console.sessions import Role, Session
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2

TIMEOUT_S = 10.0


def client(request: Request) -> RouterClient:
    rc: RouterClient = request.app.state.client
    return rc


def admin_stub(request: Request) -> admin_pb2_grpc.AdminAsyncStub:
    return admin_pb2_grpc.AdminStub(client(request).channel)


async def auth_off(request: Request) -> bool:
    """True when the router takes calls without credentials (auth_enabled=false)."""
    try:
        await admin_stub(request).ListKeys(admin_pb2.ListKeysRequest(), timeout=TIMEOUT_S)
    except grpc.aio.AioRpcError:
        return False  # auth on, or a router without the Admin service: sign-in decides
    return True


async def role_of(request: Request, key: str) -> Role | None:
    """What a key may do in the console: admin, inference only, or nothing (None)."""
    md = (("authorization", f"Bearer {key}"),)
    try:
        await admin_stub(request).ListKeys(admin_pb2.ListKeysRequest(), metadata=md, timeout=TIMEOUT_S)
        return "admin"
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.UNAUTHENTICATED:
            return None
        if err.code() not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNIMPLEMENTED):
            raise
    try:
        await client(request).stub.ListModels(inference_pb2.ListModelsRequest(), metadata=md, timeout=TIMEOUT_S)
    except grpc.aio.AioRpcError as err:
        if err.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            return None
        raise
    return "inference"


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(seconds))
    return ts


async def usage(
    request: Request, session: Session, range_s: int, step_s: int, key_id: str = "", model: str = ""
) -> admin_pb2.GetUsageResponse:
    now = time.time()
    query = admin_pb2.GetUsageRequest(
        key_id=key_id,
        model=model,
        start_time=_ts(now - range_s),
        end_time=_ts(now + 1),
        step=duration_pb2.Duration(seconds=step_s),
    )
    reply: admin_pb2.GetUsageResponse = await admin_stub(request).GetUsage(
        query, metadata=session.metadata(), timeout=TIMEOUT_S
    )
    return reply
