"""One logging set-up for every service: JSON (or text) lines that carry the
request id of the request being served.

The id travels as ``x-request-id``: HTTP header at the bridge, gRPC metadata
bridge -> router -> worker. A context variable holds it while a request runs,
and a logging filter copies it onto every record logged meanwhile.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Literal

import grpc

REQUEST_ID_KEY = "x-request-id"
LogFormat = Literal["json", "text"]

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("helixflow_request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    """The id of the request being served here, or ""."""
    return _request_id.get()


def set_request_id(request_id: str) -> None:
    """Bind ``request_id`` to the running task (and what it starts)."""
    _request_id.set(request_id)


@contextlib.contextmanager
def bound_request_id(request_id: str) -> Iterator[None]:
    """Bind ``request_id`` for a block, restoring the previous one after it."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def outgoing_metadata() -> tuple[tuple[str, str], ...]:
    """gRPC metadata that passes the current request id on to the next service."""
    rid = _request_id.get()
    return ((REQUEST_ID_KEY, rid),) if rid else ()


def request_id_from(metadata: Sequence[tuple[str, str | bytes]] | None) -> str:
    for key, value in metadata or ():
        if key == REQUEST_ID_KEY:
            return value.decode() if isinstance(value, bytes) else value
    return ""


class RequestIdInterceptor(grpc.aio.ServerInterceptor):
    """Binds the caller's x-request-id to the RPC, so the handler's logs carry it."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        # The handler runs in this same task, so the context variable reaches it.
        set_request_id(request_id_from(handler_call_details.invocation_metadata))
        return await continuation(handler_call_details)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# LogRecord attributes that are not user extras.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "")
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD:
                out[key] = value if isinstance(value, str | int | float | bool | None) else repr(value)
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def setup_logging(fmt: LogFormat = "json", level: int | str = logging.INFO) -> None:
    """Configure the root logger once for a service process (replaces its handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's loggers keep their own handlers by default; send them through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
