"""Creating, reading, updating and deleting projects; their records <-> protobuf."""

from __future__ import annotations

import time

from helixflow.common.errors import InvalidArgument
from helixflow.router.access.admin.convert import set_present, ts
from helixflow.router.access.keys.service import KeyNotFound
from helixflow.router.access.projects.store import ProjectRecord, ProjectStore, new_project_id
from helixflow.router.access.quota.budget import check_period
from helixflow.router.access.state import refused_when_down
from helixflow.v1 import admin_pb2


class ProjectNotFound(KeyNotFound):
    """NOT_FOUND for an unknown project id."""


def limits_to_proto(record: ProjectRecord) -> admin_pb2.ProjectLimits:
    limits = admin_pb2.ProjectLimits(models=record.models, budget_period=record.budget_period)
    return set_present(limits, rpm=record.rpm, tpm=record.tpm, budget_usd=record.budget_usd)


def project_to_proto(record: ProjectRecord) -> admin_pb2.Project:
    return admin_pb2.Project(
        project_id=record.project_id,
        name=record.name,
        limits=limits_to_proto(record),
        created_at=ts(record.created_at),
    )


def apply_limits(record: ProjectRecord, limits: admin_pb2.ProjectLimits) -> ProjectRecord:
    """Replace the record's limits with ``limits`` (validated)."""
    if limits.HasField("budget_usd") and limits.budget_usd < 0:
        raise InvalidArgument("budget_usd must not be negative", field="limits.budget_usd")
    record.models = list(limits.models)
    record.rpm = limits.rpm if limits.HasField("rpm") else None
    record.tpm = limits.tpm if limits.HasField("tpm") else None
    record.budget_usd = limits.budget_usd if limits.HasField("budget_usd") else None
    record.budget_period = check_period(limits.budget_period)
    return record


class ProjectService:
    """Every store call runs under ``refused_when_down``, as for keys."""

    def __init__(self, store: ProjectStore) -> None:
        self.store = store

    async def create(self, name: str, limits: admin_pb2.ProjectLimits) -> ProjectRecord:
        if not name:
            raise InvalidArgument("a project needs a name", field="name")
        record = apply_limits(ProjectRecord(new_project_id(), name, created_at=time.time()), limits)
        with refused_when_down("projects", "the project was not created"):
            await self.store.put(record)
        return record

    async def list(self) -> list[ProjectRecord]:
        with refused_when_down("projects", "the projects could not be listed"):
            return await self.store.list()

    async def find(self, project_id: str) -> ProjectRecord | None:
        with refused_when_down("projects", "the key's project could not be read"):
            return await self.store.get(project_id)

    async def get(self, project_id: str) -> ProjectRecord:
        record = await self.find(project_id)
        if record is None:
            raise ProjectNotFound(f"no project with id {project_id!r}", field="project_id")
        return record

    async def update(self, project_id: str, name: str, limits: admin_pb2.ProjectLimits) -> ProjectRecord:
        record = apply_limits(await self.get(project_id), limits)
        record.name = name or record.name
        with refused_when_down("projects", "the project was not updated"):
            await self.store.put(record)
        return record

    async def delete(self, project_id: str) -> bool:
        with refused_when_down("projects", "the project was not deleted"):
            return await self.store.delete(project_id)
