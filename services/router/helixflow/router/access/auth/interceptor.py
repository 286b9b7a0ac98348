"""The auth interceptor for the router's gRPC server.

Each call of a public service (Inference, Admin) is authenticated before its
handler runs: the principal goes into a contextvar that the handler reads (the
gate's model scopes, quotas and usage; Admin's permission). The handler runs in
the interceptor's task, so the contextvar reaches it and no per-message wrapper
is needed. A refused call gets a handler that ends it with the error's status.
Health and reflection stay open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from helixflow.common.errors import HelixError, Unauthenticated
from helixflow.common.grpc_errors import refusing_handler, unexpected
from helixflow.router.access.auth.principal import ANONYMOUS, Principal, set_principal
from helixflow.v1 import admin_pb2

Authenticate = Callable[[str], Awaitable[Principal]]

# Which permission each protected service needs.
_REQUIRED = {
    "/helixflow.v1.Inference/": admin_pb2.PERMISSION_INFERENCE,
    "/helixflow.v1.Admin/": admin_pb2.PERMISSION_ADMIN,
}


def _required_permission(method: str) -> int | None:
    for prefix, permission in _REQUIRED.items():
        if method.startswith(prefix):
            return permission
    return None


def bearer_token(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else str(value)
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
    raise Unauthenticated("missing 'authorization: Bearer <token>' metadata")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Authenticate public calls; ``authenticate`` is None only when auth is explicitly off."""

    def __init__(self, authenticate: Authenticate | None) -> None:
        self._authenticate = authenticate

    async def _principal(self, metadata: Any, permission: int) -> Principal:
        if self._authenticate is None:
            return ANONYMOUS
        principal = await self._authenticate(bearer_token(metadata))
        principal.require(permission)
        return principal

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        permission = _required_permission(handler_call_details.method)
        if handler is None or permission is None:
            return handler
        try:
            set_principal(await self._principal(handler_call_details.invocation_metadata, permission))
        except HelixError as err:
            return refusing_handler(handler, err)
        except Exception as exc:
            return refusing_handler(handler, unexpected(exc))
        return handler
