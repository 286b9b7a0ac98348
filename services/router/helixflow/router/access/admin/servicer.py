"""Admin service (keys, usage, projects): thin; the permission check is the auth interceptor's job, and a
shared store that cannot be reached is UNAVAILABLE (``refused_when_down``)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import grpc

from helixflow.common.errors import Internal
from helixflow.router.access.admin.convert import key_to_proto, template_from_proto, ts
from helixflow.router.access.admin.secrets import SecretsAdmin
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.keys.service import KeyService, principal_for
from helixflow.router.access.pricing import usd
from helixflow.router.access.projects.service import ProjectService, project_to_proto
from helixflow.router.access.quota.budget import Budget, BudgetStore
from helixflow.router.access.spend import budgets_of, project_subject
from helixflow.router.access.state import refused_when_down
from helixflow.router.access.usage.store import Usage, UsageStore
from helixflow.router.console.feeds import ConsoleFeeds
from helixflow.v1 import admin_pb2, admin_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]


class AdminServicer(admin_pb2_grpc.AdminServicer):
    def __init__(
        self,
        keys: KeyService,
        usage: UsageStore,
        projects: ProjectService,
        budgets: BudgetStore,
        secrets: SecretsAdmin | None = None,
    ) -> None:
        self._keys = keys
        self._usage = usage
        self._projects = projects
        self._budgets = budgets
        self._secrets = secrets or SecretsAdmin(None)
        # Set by the router once its pool exists (server.py); None in a bare build_access.
        self.feeds: ConsoleFeeds | None = None

    def _feeds(self) -> ConsoleFeeds:
        if self.feeds is None:
            raise Internal("this Admin service has no worker pool attached")
        return self.feeds

    async def CreateKey(self, request: admin_pb2.CreateKeyRequest, context: Context) -> admin_pb2.CreateKeyResponse:
        if request.scopes.project_id:
            await self._projects.get(request.scopes.project_id)  # NOT_FOUND for an unknown project
        record, secret = await self._keys.create(template_from_proto(request.name, request.scopes))
        return admin_pb2.CreateKeyResponse(key=key_to_proto(record), secret=secret)

    async def ListKeys(self, request: admin_pb2.ListKeysRequest, context: Context) -> admin_pb2.ListKeysResponse:
        records = await self._keys.list()
        keys = [key_to_proto(r) for r in records if request.include_revoked or r.revoked_at is None]
        return admin_pb2.ListKeysResponse(keys=keys)

    async def GetKey(self, request: admin_pb2.GetKeyRequest, context: Context) -> admin_pb2.GetKeyResponse:
        record = await self._keys.get(request.key_id)
        key = key_to_proto(record)
        budget = budgets_of(principal_for(record), None)
        if budget:
            key.budget.CopyFrom(await self._budget_status(budget[0]))
        return admin_pb2.GetKeyResponse(key=key)

    async def _budget_status(self, budget: Budget) -> admin_pb2.BudgetStatus:
        now = time.time()
        with refused_when_down("budget", "the budget could not be read"):
            spent = await self._budgets.spent(budget, now)
        return admin_pb2.BudgetStatus(
            limit_usd=usd(budget.limit_nanos), spent_usd=usd(spent), period_end=ts(budget.counter(now)[2])
        )

    async def RevokeKey(self, request: admin_pb2.RevokeKeyRequest, context: Context) -> admin_pb2.RevokeKeyResponse:
        return admin_pb2.RevokeKeyResponse(key=key_to_proto(await self._keys.revoke(request.key_id)))

    async def GetUsage(self, request: admin_pb2.GetUsageRequest, context: Context) -> admin_pb2.GetUsageResponse:
        if request.key_id:
            records = [await self._keys.get(request.key_id)]
        else:
            records = await self._keys.list()
        if request.project_id:
            records = [r for r in records if r.project_id == request.project_id]
        response = admin_pb2.GetUsageResponse()
        for record in records:
            usage = await self._read_usage(record.key_id)
            response.usage.add(
                key_id=record.key_id,
                requests=usage.requests,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_usd=usd(usage.cost_nanos),
                project_id=record.project_id,
            )
        if request.HasField("start_time"):
            subjects = {r.key_id for r in records} if request.project_id else None
            await self._feeds().buckets(request, response, subjects)
        return response

    async def _read_usage(self, subject: str) -> Usage:
        with refused_when_down("usage", "usage could not be read"):
            return await self._usage.get(subject)

    async def CreateProject(
        self, request: admin_pb2.CreateProjectRequest, context: Context
    ) -> admin_pb2.CreateProjectResponse:
        record = await self._projects.create(request.name, request.limits)
        return admin_pb2.CreateProjectResponse(project=project_to_proto(record))

    async def ListProjects(
        self, request: admin_pb2.ListProjectsRequest, context: Context
    ) -> admin_pb2.ListProjectsResponse:
        return admin_pb2.ListProjectsResponse(projects=[project_to_proto(r) for r in await self._projects.list()])

    async def GetProject(self, request: admin_pb2.GetProjectRequest, context: Context) -> admin_pb2.GetProjectResponse:
        record = await self._projects.get(request.project_id)
        project = project_to_proto(record)
        usage = await self._read_usage(project_subject(record.project_id))
        project.usage.CopyFrom(
            admin_pb2.ProjectUsage(
                requests=usage.requests,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                cost_usd=usd(usage.cost_nanos),
            )
        )
        budget = budgets_of(Principal(subject=""), record)
        if budget:
            project.budget.CopyFrom(await self._budget_status(budget[0]))
        return admin_pb2.GetProjectResponse(project=project)

    async def UpdateProject(
        self, request: admin_pb2.UpdateProjectRequest, context: Context
    ) -> admin_pb2.UpdateProjectResponse:
        record = await self._projects.update(request.project_id, request.name, request.limits)
        return admin_pb2.UpdateProjectResponse(project=project_to_proto(record))

    async def DeleteProject(
        self, request: admin_pb2.DeleteProjectRequest, context: Context
    ) -> admin_pb2.DeleteProjectResponse:
        return admin_pb2.DeleteProjectResponse(deleted=await self._projects.delete(request.project_id))

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

    async def SetUpstreamSecret(
        self, request: admin_pb2.SetUpstreamSecretRequest, context: Context
    ) -> admin_pb2.SetUpstreamSecretResponse:
        return await self._secrets.set(request.name, request.value)

    async def ListUpstreamSecrets(
        self, request: admin_pb2.ListUpstreamSecretsRequest, context: Context
    ) -> admin_pb2.ListUpstreamSecretsResponse:
        return await self._secrets.list()

    async def DeleteUpstreamSecret(
        self, request: admin_pb2.DeleteUpstreamSecretRequest, context: Context
    ) -> admin_pb2.DeleteUpstreamSecretResponse:
        return await self._secrets.delete(request.name)

    async def RotateUpstreamSecrets(
        self, request: admin_pb2.RotateUpstreamSecretsRequest, context: Context
    ) -> admin_pb2.RotateUpstreamSecretsResponse:
        return await self._secrets.rotate()
