"""Console sessions: server-side, behind an HttpOnly SameSite=Strict cookie.

The cookie holds only a random session id. The API key the user signed in with stays
in this process's memory (never in a URL, a log or a page), with a per-session CSRF
token that every mutation must echo in a form field or the ``x-csrf-token`` header.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import HTTPConnection
from starlette.responses import Response

COOKIE = "hf_console"
CSRF_HEADER = "x-csrf-token"
Role = Literal["admin", "inference", "anonymous"]


@dataclass(slots=True)
class Session:
    sid: str
    csrf: str
    role: Role = "anonymous"
    key: str | None = None  # the bearer secret; only ever sent to the router as metadata
    name: str = ""
    flash: dict[str, str] = field(default_factory=dict)  # shown once, popped on the next page
    used: float = field(default_factory=time.monotonic)

    @property
    def signed_in(self) -> bool:
        return self.key is not None

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.key}"),) if self.key else ()

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(token or "", self.csrf)


class SessionStore:
    """Sessions by id, dropped after ``ttl_s`` without use. One bridge process's memory:
    behind several bridge replicas the console needs sticky sessions."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._sessions: dict[str, Session] = {}

    def get(self, conn: HTTPConnection) -> Session | None:
        sid = conn.cookies.get(COOKIE)
        if not sid:
            return None
        session = self._sessions.get(sid)
        now = time.monotonic()
        if session is None or now - session.used > self._ttl_s:
            self._sessions.pop(sid, None)
            return None
        session.used = now
        return session

    def new(self) -> Session:
        self._expire()
        session = Session(sid=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))
        self._sessions[session.sid] = session
        return session

    def drop(self, session: Session) -> None:
        self._sessions.pop(session.sid, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid, s in list(self._sessions.items()):
            if now - s.used > self._ttl_s:
                del self._sessions[sid]


def set_cookie(response: Response, session: Session, secure: bool) -> None:
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="strict", secure=secure, path="/")


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
