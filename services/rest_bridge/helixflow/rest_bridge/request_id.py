"""Pure-ASGI middleware: give each HTTP request an id and one access-log line.

The id is the caller's ``x-request-id`` when it looks sane, else a new one;
it is returned in the response header and bound for the request's logs and
for the metadata sent to the router (``client.forward_metadata``).
"""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helixflow.common import logs

log = logging.getLogger("helixflow.rest_bridge.access")
# Accept short printable ids only: they end up in every log line.
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(logs.REQUEST_ID_KEY.encode(), b"").decode("latin-1")
        rid = given if _SANE_ID.fullmatch(given) else logs.new_request_id()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message["headers"] = [*headers, (logs.REQUEST_ID_KEY.encode(), rid.encode())]
            await send(message)

        with logs.bound_request_id(rid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if scope["path"] not in ("/healthz", "/readyz", "/metrics"):
                    seconds = round(time.perf_counter() - started, 4)
                    log.info(
                        "%s %s %d", scope["method"], scope["path"], status, extra={"status": status, "seconds": seconds}
                    )
