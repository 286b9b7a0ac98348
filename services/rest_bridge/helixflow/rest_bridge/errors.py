"""The one place where errors become OpenAI-style HTTP responses.

gRPC statuses from the router (with their google.rpc details), the bridge's
own domain errors and request-validation failures all end up as
``{"error": {"message", "type", "param", "code"}}``, with the HTTP status from ``_HTTP``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import grpc
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from google.rpc import error_details_pb2, status_pb2
from starlette.exceptions import HTTPException
from starlette.responses import Response

from helixflow.common.errors import HelixError

log = logging.getLogger(__name__)

# gRPC code -> (HTTP status, OpenAI error type)
_HTTP: dict[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid_request_error"),
    grpc.StatusCode.OUT_OF_RANGE: (400, "invalid_request_error"),
    grpc.StatusCode.FAILED_PRECONDITION: (400, "invalid_request_error"),
    grpc.StatusCode.UNAUTHENTICATED: (401, "authentication_error"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "permission_error"),
    grpc.StatusCode.NOT_FOUND: (404, "invalid_request_error"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limit_error"),
    grpc.StatusCode.UNIMPLEMENTED: (501, "server_error"),
    grpc.StatusCode.UNAVAILABLE: (503, "server_error"),
    grpc.StatusCode.CANCELLED: (503, "server_error"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "timeout_error"),
}
_DEFAULT_CODES: dict[int, str] = {404: "model_not_found", 429: "rate_limit_exceeded", 503: "unavailable"}


@dataclass(frozen=True)
class ApiError:
    """An error ready to send: HTTP status, OpenAI body fields, optional Retry-After."""

    status: int
    message: str
    type: str
    param: str | None = None
    code: str | None = None
    retry_after_s: float | None = None

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self, headers: dict[str, str] | None = None) -> Response:
        extra = dict(headers or {})
        if self.retry_after_s is not None:
            extra["retry-after"] = str(max(1, math.ceil(self.retry_after_s)))
        return Response(
            orjson.dumps(self.body()), status_code=self.status, headers=extra, media_type="application/json"
        )


def _from_code(
    code: grpc.StatusCode, message: str, reason: str | None, param: str | None, retry: float | None
) -> ApiError:
    status, kind = _HTTP.get(code, (500, "server_error"))
    if reason == "BUDGET_EXCEEDED":
        kind = "insufficient_quota"  # OpenAI's type for spend limits; retrying soon will not help
    return ApiError(status, message, kind, param, reason.lower() if reason else _DEFAULT_CODES.get(status), retry)


def _details(trailers: Any) -> tuple[str | None, str | None, float | None]:
    """(ErrorInfo reason, BadRequest field, RetryInfo seconds) from grpc-status-details-bin."""
    reason = field = None
    retry: float | None = None
    for key, value in trailers or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for any_msg in status.details:
            info = error_details_pb2.ErrorInfo()
            bad = error_details_pb2.BadRequest()
            retry_info = error_details_pb2.RetryInfo()
            if any_msg.Unpack(info):
                reason = info.reason
            elif any_msg.Unpack(bad) and bad.field_violations:
                field = bad.field_violations[0].field
            elif any_msg.Unpack(retry_info):
                retry = retry_info.retry_delay.seconds + retry_info.retry_delay.nanos / 1e9
    return reason, field, retry


def to_api_error(exc: BaseException) -> ApiError:
    """Map any exception the bridge sees to the error the client gets."""
    if isinstance(exc, grpc.aio.AioRpcError):
        reason, field, retry = _details(exc.trailing_metadata())
        message = exc.details() or exc.code().name.lower()
        if exc.code() == grpc.StatusCode.UNAVAILABLE and reason is None:
            message = f"router unavailable: {message}"
        return _from_code(exc.code(), message, reason, field, retry)
    if isinstance(exc, HelixError):
        return _from_code(exc.code, exc.message, exc.reason_name, exc.field, exc.retry_after_s)
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc)
    if isinstance(exc, HTTPException):
        kind = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return ApiError(exc.status_code, str(exc.detail), kind)
    log.error("unhandled error in bridge", exc_info=exc)
    return ApiError(500, "internal error; the bridge log has the details", "server_error")


def _validation_error(exc: RequestValidationError) -> ApiError:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p != "body"]
    param = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return ApiError(400, "request body is not valid JSON", "invalid_request_error", None, "invalid_json")
    if first.get("type") == "extra_forbidden":
        return ApiError(400, f"unrecognized request argument supplied: {param}", "invalid_request_error", param)
    msg = f"invalid value for '{param}': {first.get('msg', 'invalid')}" if param else str(first.get("msg"))
    return ApiError(400, msg, "invalid_request_error", param)


async def _handle(request: Request, exc: Exception) -> Response:
    return to_api_error(exc).response()


def install(app: FastAPI) -> None:
    """Register the handler for every exception type the bridge can see."""
    for kind in (grpc.aio.AioRpcError, HelixError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, _handle)
