"""Errors for the Anthropic Messages API: ``{"type": "error", "error": {"type", "message"}}``.

The OpenAI mapper (``errors.to_api_error``) decides status and message once; this
module only re-labels them in Anthropic's terms. A full queue, no ready worker
or a draining or unreachable router is 529 ``overloaded_error``; a lost
worker is 500 ``api_error``; rate limits stay 429 with
``retry-after``. ``AnthropicRoute`` applies it to every route of the Messages API.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from helixflow.rest_bridge.errors import ApiError, to_api_error

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
# OpenAI-side codes that mean "the service is busy", not "this key is over its limit".
_OVERLOADED = {"queue_full", "no_worker", "draining", "unavailable"}


def anthropic_status(err: ApiError) -> int:
    if err.code in _OVERLOADED:
        return 529
    if err.status in _TYPES:
        return err.status
    return 500


def error_body(err: ApiError) -> dict[str, Any]:
    status = anthropic_status(err)
    return {"type": "error", "error": {"type": _TYPES.get(status, "api_error"), "message": err.message}}


def error_response(err: ApiError) -> Response:
    headers: dict[str, str] = {}
    if err.retry_after_s is not None:
        headers["retry-after"] = str(max(1, math.ceil(err.retry_after_s)))
    return Response(
        orjson.dumps(error_body(err)), status_code=anthropic_status(err), headers=headers, media_type="application/json"
    )


def error_event(err: ApiError) -> bytes:
    """A failure after the stream began: Anthropic's ``error`` event."""
    return b"event: error\ndata: " + orjson.dumps(error_body(err)) + b"\n\n"


class AnthropicRoute(APIRoute):
    """A route whose failures (validation included) answer in Anthropic's error schema."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return error_response(to_api_error(exc))

        return answer
