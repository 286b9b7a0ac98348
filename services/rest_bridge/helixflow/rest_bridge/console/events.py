"""Server-sent events for the live pages, relayed from the router's admin-scoped streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from helixflow.rest_bridge.console import admin
from helixflow.rest_bridge.console.sessions import SessionStore
from helixflow.v1 import admin_pb2

# Each relayed stream ends after this long (a gRPC deadline) and the browser's EventSource
# reconnects at once: a console tab left open never holds the bridge's shutdown longer.
MAX_STREAM_S = 30.0


def _worker(w: admin_pb2.WorkerStatus) -> dict[str, Any]:
    return {
        "address": w.address,
        "serving": w.serving,
        "routable": w.routable,
        "draining": w.draining,
        "model": w.model_id,
        "aliases": list(w.aliases),
        "backend": w.backend,
        "waiting": w.waiting,
        "running": w.running,
        "max_running": w.max_running,
        "kv": round(w.kv_cache_usage, 4),
        "prefix_hit": round(w.prefix_cache_hit_rate, 4),
        "inflight": w.router_inflight,
    }


def _request(r: admin_pb2.RequestRecord) -> dict[str, Any]:
    return {
        "id": r.request_id,
        "key_id": r.key_id,
        "key_name": r.key_name,
        "method": r.method,
        "model": r.model,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
        "status": r.status,
        "latency_ms": round(r.latency.ToNanoseconds() / 1e6, 1),
        "ttft_ms": round(r.time_to_first_token.ToNanoseconds() / 1e6, 1) if r.HasField("time_to_first_token") else None,
        "finished_at": r.finished_at.ToMilliseconds(),
    }


async def _relay(call: Any, convert: Any) -> AsyncIterator[bytes]:
    yield b"retry: 500\n\n"
    try:
        async for message in call:
            yield b"data: " + orjson.dumps(convert(message)) + b"\n\n"
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            return  # the planned end of this stream; the browser reconnects
        yield b"event: error\ndata: " + orjson.dumps({"code": err.code().name, "message": err.details()}) + b"\n\n"
    finally:
        call.cancel()


def build_events(sessions: SessionStore) -> APIRouter:
    events = APIRouter(prefix="/ui/events", include_in_schema=False)

    async def allowed(request: Request) -> tuple[tuple[str, str], ...] | None:
        session = sessions.get(request)
        if session is not None and session.role == "admin":
            return session.metadata()
        if await admin.auth_off(request):
            return ()
        return None

    def sse(body: AsyncIterator[bytes]) -> Response:
        headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
        return StreamingResponse(body, media_type="text/event-stream", headers=headers)

    @events.get("/workers")
    async def workers(request: Request) -> Response:
        md = await allowed(request)
        if md is None:
            return Response(status_code=401)
        call = admin.admin_stub(request).WatchWorkers(
            admin_pb2.WatchWorkersRequest(interval_ms=500), metadata=md, timeout=MAX_STREAM_S
        )
        return sse(_relay(call, lambda m: {"workers": [_worker(w) for w in m.workers]}))

    @events.get("/requests")
    async def requests(request: Request) -> Response:
        md = await allowed(request)
        if md is None:
            return Response(status_code=401)
        call = admin.admin_stub(request).WatchRequests(
            admin_pb2.WatchRequestsRequest(backlog=50), metadata=md, timeout=MAX_STREAM_S
        )
        return sse(_relay(call, lambda m: _request(m.request)))

    return events
