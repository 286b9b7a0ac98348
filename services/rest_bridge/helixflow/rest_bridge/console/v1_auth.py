"""Lets the console's own pages call the bridge's public ``/v1`` API with the session.

For a ``/v1`` request that has no ``authorization`` header but a console session cookie
and that session's CSRF token in ``x-csrf-token``, this ASGI middleware adds the
session's bearer key. Without the token, the cookie alone grants nothing.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from helixflow.rest_bridge.console.sessions import CSRF_HEADER, SessionStore


class SessionBearer:
    def __init__(self, app: ASGIApp, sessions: SessionStore) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1/") and _may_use_session(scope["headers"]):
            conn = HTTPConnection(scope)
            if "authorization" not in conn.headers:
                session = self.sessions.get(conn)
                if session is not None and session.key and session.csrf_ok(conn.headers.get(CSRF_HEADER)):
                    headers = [*scope["headers"], (b"authorization", f"Bearer {session.key}".encode())]
                    scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


def _may_use_session(headers: list[tuple[bytes, bytes]]) -> bool:
    """A cookie and no authorization header (the API's usual request has no cookie: no parsing)."""
    names = {name for name, _ in headers}
    return b"cookie" in names and b"authorization" not in names
