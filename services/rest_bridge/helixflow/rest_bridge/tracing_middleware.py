"""Pure-ASGI middleware: a server span per HTTP request when tracing is on.

The span is current while the route runs, so the gRPC metadata the bridge
sends (``client.forward_metadata``) names it as the router's parent."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helixflow.common import tracing

_UNTRACED = ("/healthz", "/readyz", "/metrics")


class TracingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not tracing.enabled() or scope["path"] in _UNTRACED:
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        name = f"{scope['method']} {scope['path']}"
        with tracing.server_span(name, headers, {"http.method": scope["method"], "http.target": scope["path"]}) as span:

            async def send_status(message: Message) -> None:
                if span is not None and message["type"] == "http.response.start":
                    span.set_attribute("http.status_code", message["status"])
                await send(message)

            await self.app(scope, receive, send_status)
