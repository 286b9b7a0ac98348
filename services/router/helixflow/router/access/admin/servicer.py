"""Admin service: thin; the permission check is the auth interceptor's job, and a
shared store that cannot be reached is UNAVAILABLE (``refused_when_down``)."""

from __future__ import annotations

from typing import Any

import grpc

from helixflow.router.access.admin.convert import key_to_proto, template_from_proto
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.state import refused_when_down
from helixflow.router.access.usage.store import UsageStore
from helixflow.v1 import admin_pb2, admin_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServicer):
    def __init__(self, keys: KeyService, usage: UsageStore) -> None:
        self._keys = keys
        self._usage = usage

    async def CreateKey(self, request: admin_pb2.CreateKeyRequest, context: Context) -> admin_pb2.CreateKeyResponse:
        record, secret = await self._keys.create(template_from_proto(request.name, request.scopes))
        return admin_pb2.CreateKeyResponse(key=key_to_proto(record), secret=secret)

    async def ListKeys(self, request: admin_pb2.ListKeysRequest, context: Context) -> admin_pb2.ListKeysResponse:
        records = await self._keys.list()
        keys = [key_to_proto(r) for r in records if request.include_revoked or r.revoked_at is None]
        return admin_pb2.ListKeysResponse(keys=keys)

    async def GetKey(self, request: admin_pb2.GetKeyRequest, context: Context) -> admin_pb2.GetKeyResponse:
        return admin_pb2.GetKeyResponse(key=key_to_proto(await self._keys.get(request.key_id)))

    async def RevokeKey(self, request: admin_pb2.RevokeKeyRequest, context: Context) -> admin_pb2.RevokeKeyResponse:
        return admin_pb2.RevokeKeyResponse(key=key_to_proto(await self._keys.revoke(request.key_id)))

    async def GetUsage(self, request: admin_pb2.GetUsageRequest, context: Context) -> admin_pb2.GetUsageResponse:
        if request.key_id:
            ids = [(await self._keys.get(request.key_id)).key_id]
        else:
            ids = [r.key_id for r in await self._keys.list()]
        response = admin_pb2.GetUsageResponse()
        for key_id in ids:
            with refused_when_down("usage", "usage could not be read"):
                usage = await self._usage.get(key_id)
            response.usage.add(
                key_id=key_id,
                requests=usage.requests,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
        return response
