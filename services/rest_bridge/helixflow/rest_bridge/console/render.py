"""Jinja2 templates from the package, autoescaped; every page gets the session's CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from helixflow.rest_bridge.console.sessions import Session, set_cookie

HERE = Path(__file__).parent
STATIC = HERE / "static"
_ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))

PAGES = [
    ("playground", "Playground", False),
    ("workers", "Workers", True),
    ("keys", "Keys", True),
    ("usage", "Usage", True),
    ("requests", "Live requests", True),
]


def page(
    request: Request, session: Session, template: str, *, auth_off: bool, status: int = 200, **context: Any
) -> HTMLResponse:
    html = _ENV.get_template(template).render(
        session=session,
        csrf=session.csrf,
        auth_off=auth_off,
        pages=PAGES,
        current=template.removesuffix(".html"),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})
    set_cookie(response, session, secure=request.url.scheme == "https")
    return response
