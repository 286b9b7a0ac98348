"""Who is calling, and what they may do. Set per call by the auth interceptor."""

from __future__ import annotations

import contextvars
import fnmatch
from dataclasses import dataclass, field

from helixflow.common.errors import PermissionDenied, Unauthenticated
from helixflow.v1 import admin_pb2, common_pb2


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``subject`` names the quota and usage bucket."""

    subject: str
    permissions: frozenset[int] = frozenset({admin_pb2.PERMISSION_INFERENCE})
    models: tuple[str, ...] = ()
    rpm: int | None = None
    tpm: int | None = None
    max_concurrent_streams: int | None = None
    key_id: str | None = None
    # Spend budget per period in nano-dollars (helixflow.router.access.quota.budget); None = none.
    budget_nanos: int | None = None
    budget_period: str = ""
    # The key's project: its limits apply too (helixflow.router.access.projects).
    project_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # The highest helixflow.v1.Priority this caller may ask for.
    max_priority: int = common_pb2.PRIORITY_NORMAL

    def priority_for(self, asked: int) -> int:
        """The priority a request runs at: what it asked (unset = NORMAL), capped by the scope."""
        return min(asked or common_pb2.PRIORITY_NORMAL, self.max_priority)

    def may_use_model(self, model: str) -> bool:
        """Empty scope means every model; otherwise any glob must match."""
        if not self.models:
            return True
        return any(fnmatch.fnmatchcase(model, pattern) for pattern in self.models)

    def require_model(self, model: str) -> None:
        if not self.may_use_model(model):
            raise PermissionDenied(f"this credential may not use model {model!r}", metadata={"model": model})

    def require(self, permission: int) -> None:
        if permission not in self.permissions:
            name = admin_pb2.Permission.Name(permission)  # type: ignore[arg-type]
            raise PermissionDenied(f"this credential lacks {name}", metadata={"permission": name})


# Auth off: one unlimited local caller, so quota and usage code paths stay the same.
ANONYMOUS = Principal(
    subject="anonymous",
    permissions=frozenset({admin_pb2.PERMISSION_INFERENCE, admin_pb2.PERMISSION_ADMIN}),
    max_priority=common_pb2.PRIORITY_HIGH,
)

_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("helixflow_principal", default=None)


def current_principal() -> Principal:
    """The caller of the running handler; the interceptor always sets it."""
    principal = _current.get()
    if principal is None:
        raise Unauthenticated("no credential was checked for this call")
    return principal


def set_principal(principal: Principal | None) -> None:
    """Bind the caller to the running call (each call runs in its own task, so it ends with it)."""
    _current.set(principal)
