"""The single place where errors become gRPC statuses.

``ErrorInterceptor`` wraps every handler of a grpc.aio server: a ``HelixError``
becomes its status with google.rpc details (ErrorInfo, plus RetryInfo or
BadRequest where they apply); any other exception is logged with its trace
and the client gets a bare INTERNAL, never the trace.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from helixflow.common.errors import ERROR_DOMAIN, HelixError, Internal

log = logging.getLogger(__name__)


def to_rpc_status(err: HelixError) -> grpc.Status:
    """Build the gRPC status (code, message, details trailer) for a domain error."""
    details = []
    info = error_details_pb2.ErrorInfo(reason=err.reason_name, domain=ERROR_DOMAIN, metadata=err.metadata)
    details.append(info)
    if err.retry_after_s is not None:
        seconds = max(0.0, err.retry_after_s)
        whole = math.floor(seconds)
        retry = error_details_pb2.RetryInfo(
            retry_delay=duration_pb2.Duration(seconds=whole, nanos=int((seconds - whole) * 1e9))
        )
        details.append(retry)
    if err.field is not None:
        bad = error_details_pb2.BadRequest(
            field_violations=[error_details_pb2.BadRequest.FieldViolation(field=err.field, description=err.message)]
        )
        details.append(bad)
    status = status_pb2.Status(code=err.code.value[0], message=err.message)
    for detail in details:
        status.details.add().Pack(detail)
    result: grpc.Status = rpc_status.to_status(status)
    return result


def unexpected(exc: BaseException) -> HelixError:
    """Log an unexpected exception and return the generic error the client sees."""
    log.error("unhandled error in handler", exc_info=exc)
    return Internal("internal error; the server log has the details")


async def abort_with(context: grpc.aio.ServicerContext[Any, Any], err: HelixError) -> None:
    """End the call with the domain error's status and details."""
    await context.abort_with_status(to_rpc_status(err))


_PASS_THROUGH = (asyncio.CancelledError, grpc.aio.AbortError)


def _wrap_unary(behavior: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def handler(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await behavior(request, context)
        except _PASS_THROUGH:
            raise
        except HelixError as err:
            await abort_with(context, err)
        except Exception as exc:
            await abort_with(context, unexpected(exc))

    return handler


def _wrap_stream(behavior: Callable[..., AsyncIterator[Any]]) -> Callable[..., AsyncIterator[Any]]:
    async def handler(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        try:
            result = behavior(request, context)
            if inspect.isawaitable(result):
                # Handlers that stream with context.write() are coroutines, not async
                # generators (grpc's HealthServicer.Watch): just await them.
                await result
                return
            async for item in result:
                yield item
        except _PASS_THROUGH:
            raise
        except HelixError as err:
            await abort_with(context, err)
        except Exception as exc:
            await abort_with(context, unexpected(exc))

    return handler


def _like(handler: grpc.RpcMethodHandler[Any, Any], behavior: Any) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler of ``handler``'s kind (unary or server-streaming) and serializers running ``behavior``."""
    make = (
        grpc.unary_unary_rpc_method_handler if handler.unary_unary is not None else grpc.unary_stream_rpc_method_handler
    )
    return make(
        behavior,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def refusing_handler(handler: grpc.RpcMethodHandler[Any, Any], err: HelixError) -> grpc.RpcMethodHandler[Any, Any]:
    """A stand-in for ``handler`` that ends every call with ``err``, for interceptors that
    refuse a call before its handler runs (authentication)."""

    async def refuse(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        await abort_with(context, err)

    # A coroutine serves a unary-stream call too: grpc awaits it and sends no message.
    return _like(handler, refuse)


class ErrorInterceptor(grpc.aio.ServerInterceptor):
    """Map domain errors raised by unary-unary and unary-stream handlers."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        if handler.unary_unary is not None:
            return _like(handler, _wrap_unary(handler.unary_unary))
        if handler.unary_stream is not None:
            return _like(handler, _wrap_stream(handler.unary_stream))
        return handler
