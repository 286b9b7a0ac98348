"""Helpers for the router's own server interceptors.

``new_server`` puts ``ErrorInterceptor`` innermost, so errors raised by these
outer interceptors would not reach it; they are mapped here with the same
``abort_with`` (one mapping function, two call sites).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from helixflow.common.errors import HelixError
from helixflow.common.grpc_errors import abort_with, unexpected

Context = grpc.aio.ServicerContext[Any, Any]
UnaryBehavior = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior = Callable[[Any, Context], AsyncIterator[Any]]

_PASS_THROUGH = (asyncio.CancelledError, grpc.aio.AbortError)


def unary_handler(handler: grpc.RpcMethodHandler[Any, Any], behavior: UnaryBehavior) -> grpc.RpcMethodHandler[Any, Any]:
    async def run(request: Any, context: Context) -> Any:
        try:
            return await behavior(request, context)
        except _PASS_THROUGH:
            raise
        except HelixError as err:
            await abort_with(context, err)
        except Exception as exc:
            await abort_with(context, unexpected(exc))

    return grpc.unary_unary_rpc_method_handler(
        run, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )


def stream_handler(
    handler: grpc.RpcMethodHandler[Any, Any], behavior: StreamBehavior
) -> grpc.RpcMethodHandler[Any, Any]:
    async def run(request: Any, context: Context) -> AsyncIterator[Any]:
        try:
            async for item in behavior(request, context):
                yield item
        except _PASS_THROUGH:
            raise
        except HelixError as err:
            await abort_with(context, err)
        except Exception as exc:
            await abort_with(context, unexpected(exc))

    return grpc.unary_stream_rpc_method_handler(
        run, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )
