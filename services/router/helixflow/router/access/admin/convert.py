"""KeyRecord <-> Admin protobuf messages."""

from __future__ import annotations

from typing import TypeVar

from google.protobuf import message, timestamp_pb2

from helixflow.router.access.keys.record import KeyRecord
from helixflow.v1 import admin_pb2, common_pb2

M = TypeVar("M", bound=message.Message)


def ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def set_present(message: M, **values: float | None) -> M:
    """Set each optional scalar field whose value is not None (None stays unset: explicit presence)."""
    for name, value in values.items():
        if value is not None:
            setattr(message, name, value)
    return message


def scopes_to_proto(record: KeyRecord) -> admin_pb2.KeyScopes:
    scopes = admin_pb2.KeyScopes(
        permissions=[admin_pb2.Permission.ValueType(p) for p in record.permissions],
        models=record.models,
        budget_period=record.budget_period,
        project_id=record.project_id,
    )
    set_present(
        scopes,
        rpm=record.rpm,
        tpm=record.tpm,
        max_concurrent_streams=record.max_concurrent_streams,
        budget_usd=record.budget_usd,
    )
    if record.max_priority is not None:
        scopes.max_priority = common_pb2.Priority.ValueType(record.max_priority)
    if record.expires_at is not None:
        scopes.expires_at.CopyFrom(ts(record.expires_at))
    return scopes


def key_to_proto(record: KeyRecord) -> admin_pb2.ApiKey:
    key = admin_pb2.ApiKey(
        key_id=record.key_id,
        name=record.name,
        display_prefix=record.display_prefix,
        scopes=scopes_to_proto(record),
        created_at=ts(record.created_at),
    )
    if record.revoked_at is not None:
        key.revoked_at.CopyFrom(ts(record.revoked_at))
    return key


def template_from_proto(name: str, scopes: admin_pb2.KeyScopes) -> KeyRecord:
    """A record to create; id, hash and prefix are filled in by KeyService."""
    permissions = [int(p) for p in scopes.permissions if p != admin_pb2.PERMISSION_UNSPECIFIED]
    return KeyRecord(
        key_id="",
        name=name,
        secret_sha256="",
        display_prefix="",
        permissions=permissions or [admin_pb2.PERMISSION_INFERENCE],
        models=list(scopes.models),
        rpm=scopes.rpm if scopes.HasField("rpm") else None,
        tpm=scopes.tpm if scopes.HasField("tpm") else None,
        max_concurrent_streams=scopes.max_concurrent_streams if scopes.HasField("max_concurrent_streams") else None,
        max_priority=int(scopes.max_priority) if scopes.HasField("max_priority") else None,
        expires_at=scopes.expires_at.ToNanoseconds() / 1e9 if scopes.HasField("expires_at") else None,
        budget_usd=scopes.budget_usd if scopes.HasField("budget_usd") else None,
        budget_period=scopes.budget_period,
        project_id=scopes.project_id,
    )
