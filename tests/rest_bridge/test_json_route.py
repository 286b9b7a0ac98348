"""The lean JSON-body route fails exactly as FastAPI's own handler does (status and body)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.routing import APIRoute

from helixflow.rest_bridge import json_route
from helixflow.rest_bridge.app import create_app
from helixflow.rest_bridge.config import BridgeSettings

MSG = b'"messages":[{"role":"user","content":"hi"}]'
BAD_BODIES = [
    b"",
    b"{",
    b"[1]",
    b"null",
    b"{}",
    b'{"model":"m"}',
    b'{"model":"m","messages":[],"x":1}',
    b'{"model":"m",' + MSG + b',"n":"3"}',
    b'{"model":"m","messages":[{"role":"user","content":"\\ud800"}]}',
    b"\xff\xfe",
    b'{"model":"m",' + MSG + b',"temperature":NaN}',
    b"[" * 100_000,
    b'{"model":"m","messages":[{"role":"bad","content":"hi"}]}',
]


async def _answers() -> list[tuple[int, str]]:
    out = []
    for path in ("/v1/chat/completions", "/v1/completions", "/v1/embeddings"):
        app = create_app(BridgeSettings(console_enabled=False))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
            for body in BAD_BODIES:
                r = await client.post(path, content=body, headers={"content-type": "application/json"})
                out.append((r.status_code, r.text))
    return out


async def test_errors_match_fastapis_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    lean = await _answers()
    assert all(status == 400 for status, _ in lean)
    monkeypatch.setattr(json_route.JsonBodyRoute, "get_route_handler", APIRoute.get_route_handler)
    assert lean == await _answers()


def test_refuses_an_endpoint_of_another_shape() -> None:
    async def endpoint(request: object) -> None: ...

    with pytest.raises(TypeError, match="JsonBodyRoute needs"):
        json_route.JsonBodyRoute("/x", endpoint, methods=["POST"])
