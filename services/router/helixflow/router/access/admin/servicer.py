"""Admin service: thin; the permission check is the auth interceptor's job, and a
shared store that cannot be reached is UNAVAILABLE (``refused_when_down``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from helixflow.common.errors import Internal
from helixflow.router.access.admin.convert import key_to_proto, template_from_proto
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.state import refused_when_down
from helixflow.router.access.usage.store import UsageStore
from helixflow.router.catalog_admin import CatalogAdmin
from helixflow.router.console.feeds import ConsoleFeeds
from helixflow.v1 import admin_pb2, admin_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServicer):
    def __init__(self, keys: KeyService, usage: UsageStore) -> None:
        self._keys = keys
        self._usage = usage
        # Set by the router once its pool exists (server.py); None in a bare build_access.
        self.feeds: ConsoleFeeds | None = None
        self.catalog: CatalogAdmin | None = None

    def _feeds(self) -> ConsoleFeeds:
        if self.feeds is None:
            raise Internal("this Admin service has no worker pool attached")
        return self.feeds

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
        if request.HasField("start_time"):
            await self._feeds().buckets(request, response)
        return response

    async def WatchWorkers(
        self, request: admin_pb2.WatchWorkersRequest, context: Context
    ) -> AsyncIterator[admin_pb2.WatchWorkersResponse]:
        async for snapshot in self._feeds().watch_workers(request):
            yield snapshot

    async def WatchRequests(
        self, request: admin_pb2.WatchRequestsRequest, context: Context
    ) -> AsyncIterator[admin_pb2.WatchRequestsResponse]:
        async for record in self._feeds().watch_requests(request):
            yield record

    def _catalog(self) -> CatalogAdmin:
        if self.catalog is None:
            raise Internal("this Admin service has no worker pool attached")
        return self.catalog

    async def ListCatalog(
        self, request: admin_pb2.ListCatalogRequest, context: Context
    ) -> admin_pb2.ListCatalogResponse:
        return self._catalog().catalogs()

    async def LoadCatalogModel(
        self, request: admin_pb2.LoadCatalogModelRequest, context: Context
    ) -> admin_pb2.LoadCatalogModelResponse:
        return await self._catalog().load(request, context)

    async def UnloadCatalogModel(
        self, request: admin_pb2.UnloadCatalogModelRequest, context: Context
    ) -> admin_pb2.UnloadCatalogModelResponse:
        return await self._catalog().unload(request, context)

    async def PinCatalogModel(
        self, request: admin_pb2.PinCatalogModelRequest, context: Context
    ) -> admin_pb2.PinCatalogModelResponse:
        return await self._catalog().pin(request, context)
