"""The console's session and CSRF rules, against the fake router (no Admin service there,
so any key signs in as an inference key)."""

from __future__ import annotations

import re

import httpx
from bridge_testing.fake_router import MODEL
from bridge_testing.stack import FakeStack


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, page
    return match.group(1)


def _chat(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}
    return http.post("/v1/chat/completions", json=body, headers=headers)


def test_session_cookie_csrf_and_key_forwarding(fake_stack: FakeStack) -> None:
    with httpx.Client(base_url=fake_stack.base_url, timeout=30) as http:
        login = http.get("/ui/login")
        assert login.status_code == 200
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "path=/" in cookie
        token = _csrf(login.text)
        form = {"content-type": "application/x-www-form-urlencoded"}

        # No CSRF token, or a wrong one: refused before the key is even looked at.
        assert http.post("/ui/login", content="key=hf_console-test", headers=form).status_code == 403
        wrong = http.post("/ui/login", content="key=hf_console-test&csrf=nope", headers=form)
        assert wrong.status_code == 403

        signed = http.post("/ui/login", content=f"key=hf_console-test&csrf={token}", headers=form)
        assert signed.status_code == 303
        assert signed.headers["location"] == "/ui/playground"
        assert "hf_console-test" not in signed.headers["set-cookie"]
        page = http.get("/ui/playground")
        assert page.status_code == 200
        assert "hf_console-test" not in page.text
        token = _csrf(page.text)  # sign-in starts a new session, with a new token

        # The playground's /v1 calls: the cookie plus the CSRF header carry the session's key.
        assert _chat(http, {"x-csrf-token": token}).status_code == 200
        assert fake_stack.servicer.last_metadata.get("authorization") == "Bearer hf_console-test"
        # The cookie alone carries nothing.
        assert _chat(http, {}).status_code == 200
        assert "authorization" not in fake_stack.servicer.last_metadata
        # An inference key sees the playground, not the admin pages.
        assert http.get("/ui/keys").status_code == 403


def test_v1_still_needs_json(http: httpx.Client) -> None:
    # The console's urlencoded forms are exempt from the JSON rule only under /ui.
    reply = http.post(
        "/v1/chat/completions", content="a=b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert reply.status_code == 415
