"""The auth interceptor for the router's gRPC server.

Each call of a public service (Inference, Admin) is authenticated inside the
wrapped handler; the principal goes into a contextvar that the access
interceptor and servicers read (model scopes, quotas, usage). Health and
reflection stay open.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from helixflow.common.errors import Unauthenticated
from helixflow.router.auth.principal import ANONYMOUS, Principal, reset_principal, set_principal
from helixflow.router.wrapping import Context, stream_handler, unary_handler
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

    async def _principal(self, context: Context, permission: int) -> Principal:
        if self._authenticate is None:
            return ANONYMOUS
        principal = await self._authenticate(bearer_token(context.invocation_metadata()))
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
        if handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary

            async def unary(request: Any, context: Context) -> Any:
                token = set_principal(await self._principal(context, permission))
                try:
                    return await inner_unary(request, context)
                finally:
                    reset_principal(token)

            return unary_handler(handler, unary)
        if handler.unary_stream is not None:
            inner_stream: Any = handler.unary_stream

            async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
                # The whole stream runs in the RPC's task, so setting the contextvar once covers it.
                set_principal(await self._principal(context, permission))
                async for item in inner_stream(request, context):
                    yield item

            return stream_handler(handler, stream)
        return handler
