"""OpenAI's Responses API: POST /v1/responses, GET / DELETE /v1/responses/{id}, GET .../input_items.

Translation only: the request becomes one Generate call (instructions, the stored
conversation when ``previous_response_id`` is given, this input); the router does
the work. Errors use the OpenAI mapper (``errors.py``), as chat completions do.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import grpc
import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from helixflow.common.errors import HelixError
from helixflow.rest_bridge.client import RouterClient, forward_metadata
from helixflow.rest_bridge.errors import to_api_error
from helixflow.rest_bridge.generate import Generation, Stream, until_complete
from helixflow.rest_bridge.responses_events import (
    ResponseEvents,
    finish,
    item_id,
    output_items,
    response_json,
    stored_input,
)
from helixflow.rest_bridge.responses_store import ResponseStore, StoredResponse, owner_of
from helixflow.rest_bridge.schemas import agent_objects as ao
from helixflow.rest_bridge.schemas import responses as rs
from helixflow.rest_bridge.schemas.openai_responses import InputItem, ResponsesRequest, parse_items
from helixflow.rest_bridge.schemas.service_tier import OPENAI_TIERS
from helixflow.rest_bridge.translate import finish_reason
from helixflow.v1 import inference_pb2

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": rs.ErrorResponse} for code in (400, 401, 403, 404, 413, 415, 429, 500, 503, 504)
}


def _doc(model: type) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, **_ERRORS}


_STREAM: dict[int | str, dict[str, Any]] = {
    200: {"model": ao.ResponseObject, "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    **_ERRORS,
}


def _json(payload: dict[str, Any]) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json")


def _client(request: Request) -> RouterClient:
    rc: RouterClient = request.app.state.client
    return rc


def _store(request: Request) -> ResponseStore:
    store: ResponseStore = request.app.state.responses
    return store


def _not_found(response_id: str) -> HTTPException:
    return HTTPException(404, f"Response with id '{response_id}' not found.")


async def _authenticate(request: Request) -> None:
    """The router checks the caller's key (ListModels needs one when auth is on); the store has no keys."""
    rc = _client(request)
    await rc.stub.ListModels(
        inference_pb2.ListModelsRequest(), metadata=forward_metadata(request.headers), timeout=rc.timeout_s
    )


async def _owned(request: Request, response_id: str) -> StoredResponse:
    await _authenticate(request)
    record = await _store(request).get(response_id, owner_of(request.headers))
    if record is None:
        raise _not_found(response_id)
    return record


async def _history(request: Request, body: ResponsesRequest) -> list[InputItem]:
    if body.previous_response_id is None:
        return []
    await _authenticate(request)  # a bad key is a 401 here too, not a 404
    record = await _store(request).get(body.previous_response_id, owner_of(request.headers))
    if record is None:
        raise HTTPException(404, f"Previous response with id '{body.previous_response_id}' not found.")
    return parse_items(record.conversation(), "previous_response_id")


async def _save(request: Request, body: ResponsesRequest, response: dict[str, Any], history: list[InputItem]) -> None:
    if body.store is False:
        return
    context = stored_input(history)
    record = StoredResponse(
        response["id"], owner_of(request.headers), time.time(), response, stored_input(body.input_items()), context
    )
    await _store(request).put(record)


async def _events(
    request: Request,
    body: ResponsesRequest,
    history: list[InputItem],
    gen: Generation,
    it: Stream,
    first: inference_pb2.GenerateResponse,
    enc: ResponseEvents,
) -> AsyncIterator[bytes]:
    try:
        for chunk in enc.start():
            yield chunk
        async for msg in until_complete(first, it):
            if msg.HasField("complete"):
                finish_reason(msg.complete)  # raises on a cancelled or failed generation
                for chunk in enc.close():
                    yield chunk
                final = enc.completed(msg.complete)
                await _save(request, body, enc.response, history)
                yield final
            else:
                for chunk in enc.delta(msg.delta):
                    yield chunk
    except (grpc.aio.AioRpcError, HelixError) as exc:
        yield enc.failed(to_api_error(exc))
    finally:
        gen.cancel()


router = APIRouter()


@router.post("/v1/responses", response_model=None, responses=_STREAM)
async def create_response(body: ResponsesRequest, request: Request) -> Response:
    """Create a model response; `stream: true` answers with the Responses API's server-sent events."""
    history = await _history(request, body)
    proto = body.to_proto(history)
    gen = Generation.start(_client(request), [proto], forward_metadata(request.headers))
    rid, created = item_id("resp"), int(time.time())
    if body.stream:
        iters, firsts = await gen.prime()
        tier = await gen.served_tier(OPENAI_TIERS, body.service_tier)
        enc = ResponseEvents(response_json(body, rid, created, "in_progress", [], tier))
        return StreamingResponse(
            _events(request, body, history, gen, iters[0], firsts[0], enc),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
    [result] = await gen.collect()
    output = output_items(result.text, result.complete.tool_calls)
    tier = await gen.served_tier(OPENAI_TIERS, body.service_tier)
    response = finish(response_json(body, rid, created, "completed", output, tier), result.complete)
    await _save(request, body, response, history)
    return _json(response)


@router.get("/v1/responses/{response_id}", response_model=None, responses=_doc(ao.ResponseObject))
async def get_response(response_id: str, request: Request) -> Response:
    """A stored response, for the key that created it."""
    return _json((await _owned(request, response_id)).response)


@router.delete("/v1/responses/{response_id}", response_model=None, responses=_doc(ao.ResponseDeleted))
async def delete_response(response_id: str, request: Request) -> Response:
    await _owned(request, response_id)
    await _store(request).delete(response_id, owner_of(request.headers))
    return _json({"id": response_id, "object": "response.deleted", "deleted": True})


@router.get("/v1/responses/{response_id}/input_items", response_model=None, responses=_doc(ao.InputItemList))
async def input_items(
    response_id: str,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    after: Annotated[str | None, Query()] = None,
) -> Response:
    """The input items of a stored response, in OpenAI's list shape."""
    items = list((await _owned(request, response_id)).input_items)
    if order == "desc":
        items.reverse()
    if after is not None:
        ids = [i.get("id") for i in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    page = items[:limit]
    return _json(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }
    )


def mount(app: FastAPI) -> None:
    app.include_router(router)
