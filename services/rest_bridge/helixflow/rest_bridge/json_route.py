"""``JsonBodyRoute``: a FastAPI route for the hot ``(body: Model, request: Request)`` endpoints.

FastAPI's generic handler does per request what these endpoints never need: it parses
the content type with ``email.message`` (``RequestGuard`` already allows only JSON),
solves the dependency graph and builds the keyword arguments through it. This route
keeps what FastAPI gives from the signature (the OpenAPI schema, the exception
handlers, the AsyncExitStacks) and replaces only the handler: the body read, parsed
with ``json.loads`` and validated by the model, with FastAPI's error shapes (a
``RequestValidationError`` whose locations start with ``"body"``).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar, get_type_hints

from fastapi import Request
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

M = TypeVar("M", bound=BaseModel)


class JsonBodyRoute(APIRoute):
    """For an endpoint ``async def f(body: SomeModel, request: Request) -> Response``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Any, Request], Awaitable[Response]] = self.endpoint
        params = list(inspect.signature(endpoint).parameters)
        model = get_type_hints(endpoint).get("body")
        if params != ["body", "request"] or not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"{self.path}: JsonBodyRoute needs (body: <pydantic model>, request: Request)")

        async def handler(request: Request) -> Response:
            return await endpoint(parse_body(model, await request.body()), request)

        return handler


def parse_body(model: type[M], raw: bytes) -> M:
    """``raw`` as ``model``, failing as FastAPI's handler fails for a required JSON body."""
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        error = {"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error", "input": {}}
        raise RequestValidationError([{**error, "ctx": {"error": exc.msg}}], body=exc.doc) from exc
    except Exception as exc:  # not UTF-8, nested too deep
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
    try:
        # from_attributes as FastAPI validates: the same error for a body that is not an object.
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=data) from None
