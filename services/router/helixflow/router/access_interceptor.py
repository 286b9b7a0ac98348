"""Runs the AccessGate (model scope, quotas, caches, usage) around the Inference
handlers, so the servicer needs no changes. Goes after ``AuthInterceptor``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from helixflow.router.console.requests import ObserveGenerate, passthrough_generate
from helixflow.router.gate import AccessGate
from helixflow.router.wrapping import Context, stream_handler, unary_handler
from helixflow.v1 import inference_pb2

ResolveModel = Callable[[str], str]

_PREFIX = "/helixflow.v1.Inference/"


class AccessInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, gate: AccessGate, resolve_model: ResolveModel = lambda name: name) -> None:
        # resolve_model maps aliases to model ids, so scopes and cache keys see one name.
        self._gate = gate
        # Settable: the router's resolver exists only once the server object is built.
        self.resolve_model = resolve_model
        # Settable: records each finished Generate for usage and the console (console.requests).
        self.observe: ObserveGenerate = passthrough_generate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(_PREFIX):
            return handler
        name = method.removeprefix(_PREFIX)
        if name == "Generate" and handler.unary_stream is not None:
            inner_stream: Any = handler.unary_stream

            def generate(request: inference_pb2.GenerateRequest, context: Context) -> AsyncIterator[Any]:
                model = self.resolve_model(request.model)
                stream = self._gate.generate(request, model, lambda r: inner_stream(r, context))
                return self.observe(request, model, stream, context)

            return stream_handler(handler, generate)
        if name in ("Embed", "Tokenize") and handler.unary_unary is not None:
            inner_unary: Any = handler.unary_unary

            async def unary(request: Any, context: Context) -> Any:
                model = self.resolve_model(request.model)
                if name == "Tokenize":
                    self._gate.check_model(model)
                    return await inner_unary(request, context)
                return await self._gate.embed(request, model, lambda r: inner_unary(r, context))

            return unary_handler(handler, unary)
        return handler
