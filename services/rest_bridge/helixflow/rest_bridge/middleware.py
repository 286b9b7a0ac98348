"""Pure-ASGI request guard: start time, body size limit (413), JSON content type (415, except the console's /ui forms).

Pure ASGI (not BaseHTTPMiddleware) so streaming responses pass straight through.
"""

from __future__ import annotations

import time

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helixflow.rest_bridge import anthropic_errors
from helixflow.rest_bridge.errors import ApiError


class RequestGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})["t0"] = time.perf_counter()
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # The console's own forms (/ui) post urlencoded; they get the same size limit.
        if ctype != b"application/json" and not scope["path"].startswith("/ui/"):
            err = ApiError(
                415,
                "Content-Type must be application/json",
                "invalid_request_error",
                None,
                "unsupported_media_type",
            )
            await _render(err, scope)(scope, receive, send)
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(scope)(scope, receive, send)
            return
        # Read the body up front (bounded) so chunked uploads obey the same limit.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope)(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self, scope: Scope) -> Response:
        err = ApiError(
            413,
            f"request body exceeds {self.max_body_bytes} bytes",
            "invalid_request_error",
            None,
            "request_too_large",
        )
        return _render(err, scope)


def _render(err: ApiError, scope: Scope) -> Response:
    """Anthropic's Messages API answers in its own error schema; everything else in OpenAI's."""
    if scope["path"].startswith("/v1/messages"):
        return anthropic_errors.error_response(err)
    return err.response()
