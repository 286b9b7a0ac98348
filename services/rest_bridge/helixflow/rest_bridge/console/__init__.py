"""The web console at /ui: server-rendered pages (Jinja2) with small vanilla ES modules,
all served from this package. ``mount(app, settings)`` is its one line in app.py."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from helixflow.rest_bridge.config import BridgeSettings
from helixflow.rest_bridge.console.events import build_events
from helixflow.rest_bridge.console.pages import build_router
from helixflow.rest_bridge.console.render import STATIC
from helixflow.rest_bridge.console.sessions import SessionStore
from helixflow.rest_bridge.console.v1_auth import SessionBearer


def mount(app: FastAPI, settings: BridgeSettings) -> None:
    if not settings.console_enabled:
        return
    sessions = SessionStore(settings.console_session_ttl_s)
    app.include_router(build_router(sessions))
    app.include_router(build_events(sessions))
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(SessionBearer, sessions=sessions)
