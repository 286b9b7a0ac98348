"""The console's pages under /ui: server-rendered, talking to the router's Admin API
with the session's key; the playground's browser code calls the public /v1 API."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

import grpc
from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from helixflow.rest_bridge.console import admin, charts
from helixflow.rest_bridge.console.render import page
from helixflow.rest_bridge.console.sessions import CSRF_HEADER, Session, SessionStore, clear_cookie, set_cookie
from helixflow.v1 import admin_pb2

RANGES = {"15m": (900, 30), "1h": (3600, 60), "6h": (6 * 3600, 600), "24h": (86400, 1800)}


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def build_router(sessions: SessionStore) -> APIRouter:
    ui = APIRouter(prefix="/ui", include_in_schema=False)

    async def session_for(request: Request) -> tuple[Session, bool]:
        """The caller's session (a new anonymous one if none) and whether auth is off."""
        session = sessions.get(request) or sessions.new()
        off = await admin.auth_off(request)
        return session, off

    def to_login(request: Request, session: Session) -> Response:
        response = RedirectResponse("/ui/login", status_code=303)
        set_cookie(response, session, secure=request.url.scheme == "https")
        return response

    async def mutation(request: Request) -> tuple[Session, dict[str, str]] | Response:
        """The form of a POST whose CSRF token matches the session's; 403 otherwise."""
        session = sessions.get(request)
        form = await _form(request)
        token = request.headers.get(CSRF_HEADER) or form.get("csrf")
        if session is None or not session.csrf_ok(token):
            return HTMLResponse("<h1>403</h1><p>Missing or wrong CSRF token.</p>", status_code=403)
        return session, form

    async def admin_page(request: Request, render: Callable[[Session, bool], Awaitable[Response]]) -> Response:
        session, off = await session_for(request)
        if not off and not session.signed_in:
            return to_login(request, session)
        if not off and session.role != "admin":
            return page(request, session, "denied.html", auth_off=off, status=403)
        try:
            return await render(session, off)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.UNAUTHENTICATED:  # the key was revoked meanwhile
                sessions.drop(session)
                return to_login(request, sessions.new())
            raise

    @ui.get("")
    @ui.get("/")
    async def home() -> Response:
        return RedirectResponse("/ui/playground", status_code=303)

    @ui.get("/login")
    async def login_form(request: Request) -> Response:
        session, off = await session_for(request)
        return page(request, session, "login.html", auth_off=off, error="")

    @ui.post("/login")
    async def login(request: Request) -> Response:
        checked = await mutation(request)
        if isinstance(checked, Response):
            return checked
        old, form = checked
        key = form.get("key", "").strip()
        role = await admin.role_of(request, key) if key else None
        if role is None:
            off = await admin.auth_off(request)
            return page(request, old, "login.html", auth_off=off, status=401, error="That key was not accepted.")
        sessions.drop(old)  # a fresh id on sign-in: no session fixation
        session = sessions.new()
        session.key, session.role = key, role
        response = RedirectResponse("/ui/playground" if role == "inference" else "/ui/workers", status_code=303)
        set_cookie(response, session, secure=request.url.scheme == "https")
        return response

    @ui.post("/logout")
    async def logout(request: Request) -> Response:
        checked = await mutation(request)
        if isinstance(checked, Response):
            return checked
        sessions.drop(checked[0])
        response = RedirectResponse("/ui/login", status_code=303)
        clear_cookie(response)
        return response

    @ui.get("/playground")
    async def playground(request: Request) -> Response:
        session, off = await session_for(request)
        if not off and not session.signed_in:
            return to_login(request, session)
        return page(request, session, "playground.html", auth_off=off, base_url=str(request.base_url).rstrip("/"))

    @ui.get("/workers")
    async def workers(request: Request) -> Response:
        async def render(session: Session, off: bool) -> Response:
            return page(request, session, "workers.html", auth_off=off)

        return await admin_page(request, render)

    @ui.get("/requests")
    async def live_requests(request: Request) -> Response:
        async def render(session: Session, off: bool) -> Response:
            return page(request, session, "requests.html", auth_off=off)

        return await admin_page(request, render)

    @ui.get("/keys")
    async def keys(request: Request) -> Response:
        async def render(session: Session, off: bool) -> Response:
            stub = admin.admin_stub(request)
            listing = await stub.ListKeys(
                admin_pb2.ListKeysRequest(include_revoked=True), metadata=session.metadata(), timeout=admin.TIMEOUT_S
            )
            range_s, step_s = RANGES["1h"]
            used = await admin.usage(request, session, range_s, step_s)
            now = time.time()
            per_key = {
                k.key_id: charts.chart(
                    charts.by_time(b for b in used.buckets if b.key_id == k.key_id),
                    lambda t: float(t.requests),
                    "requests",
                    now - range_s,
                    now,
                    css="chart small",
                )
                for k in listing.keys
            }
            totals = {u.key_id: u for u in used.usage}
            created = dict(session.flash)
            session.flash.clear()  # the secret is shown on this one page only
            return page(
                request, session, "keys.html", auth_off=off, keys=listing.keys, charts=per_key,
                totals=totals, created=created, permission_name=admin_pb2.Permission.Name,
            )  # fmt: skip

        return await admin_page(request, render)

    @ui.post("/keys")
    async def create_key(request: Request) -> Response:
        checked = await mutation(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        scopes = admin_pb2.KeyScopes(
            permissions=[admin_pb2.PERMISSION_ADMIN if form.get("admin") else admin_pb2.PERMISSION_INFERENCE],
            models=[m.strip() for m in form.get("models", "").split(",") if m.strip()],
        )
        for name in ("rpm", "tpm", "max_concurrent_streams"):
            if form.get(name, "").strip().isdigit():
                setattr(scopes, name, int(form[name]))
        reply = await admin.admin_stub(request).CreateKey(
            admin_pb2.CreateKeyRequest(name=form.get("name", "").strip() or "unnamed", scopes=scopes),
            metadata=session.metadata(),
            timeout=admin.TIMEOUT_S,
        )
        session.flash = {"secret": reply.secret, "name": reply.key.name, "key_id": reply.key.key_id}
        return RedirectResponse("/ui/keys", status_code=303)

    @ui.post("/keys/{key_id}/revoke")
    async def revoke_key(key_id: str, request: Request) -> Response:
        checked = await mutation(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        await admin.admin_stub(request).RevokeKey(
            admin_pb2.RevokeKeyRequest(key_id=key_id), metadata=session.metadata(), timeout=admin.TIMEOUT_S
        )
        return RedirectResponse("/ui/keys", status_code=303)

    @ui.get("/usage")
    async def usage(request: Request) -> Response:
        window = request.query_params.get("range", "1h")
        range_s, step_s = RANGES.get(window, RANGES["1h"])
        key_id = request.query_params.get("key", "")
        model = request.query_params.get("model", "")

        async def render(session: Session, off: bool) -> Response:
            reply = await admin.usage(request, session, range_s, step_s, key_id, model)
            listing = await admin.admin_stub(request).ListKeys(
                admin_pb2.ListKeysRequest(include_revoked=True), metadata=session.metadata(), timeout=admin.TIMEOUT_S
            )
            names = {k.key_id: k.name for k in listing.keys}
            now = time.time()
            series = charts.by_time(reply.buckets)

            def draw(value: Callable[[charts.Totals], float | None], label: str) -> object:
                return charts.chart(series, value, label, now - range_s, now)

            plots = [
                draw(lambda t: float(t.requests), "requests"),
                draw(lambda t: float(t.tokens), "tokens"),
                draw(lambda t: float(t.error_count), "errors"),
                draw(lambda t: t.ttft_ms, "mean TTFT (ms)"),
            ]
            all_time = charts.Totals()
            for b in reply.buckets:
                all_time.add(b)
            return page(
                request, session, "usage.html", auth_off=off, plots=plots, window=window, ranges=list(RANGES),
                key_id=key_id, model=model, per_key=charts.by(reply.buckets, "key_id"),
                per_model=charts.by(reply.buckets, "model"), total=all_time, names=names,
            )  # fmt: skip

        return await admin_page(request, render)

    return ui
