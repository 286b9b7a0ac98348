"""``create_app(settings)``: the FastAPI app. Routes only translate; the router does the work."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from helixflow.common.errors import InvalidArgument, ModelNotFound
from helixflow.rest_bridge import console, errors, messages_api, responses_api
from helixflow.rest_bridge.client import RouterClient, forward_metadata, router_ms
from helixflow.rest_bridge.config import BridgeSettings
from helixflow.rest_bridge.generate import ChoiceResult, Generation, fan_out, new_id, sse_stream
from helixflow.rest_bridge.json_route import JsonBodyRoute
from helixflow.rest_bridge.metrics import BridgeMetrics
from helixflow.rest_bridge.middleware import RequestGuard
from helixflow.rest_bridge.request_id import RequestIdMiddleware
from helixflow.rest_bridge.responses_store import open_store
from helixflow.rest_bridge.schemas import responses as rs
from helixflow.rest_bridge.schemas.chat import ChatCompletionRequest
from helixflow.rest_bridge.schemas.completions import CompletionRequest
from helixflow.rest_bridge.schemas.embeddings import EmbeddingRequest
from helixflow.rest_bridge.schemas.service_tier import OPENAI_TIERS
from helixflow.rest_bridge.schemas.tools import tool_calls_json
from helixflow.rest_bridge.sse import ChunkEncoder, SseResponse
from helixflow.rest_bridge.tracing_middleware import TracingMiddleware
from helixflow.rest_bridge.translate import (
    chat_logprobs,
    embedding_list,
    finish_reason,
    model_dict,
    text_logprobs,
    usage_dict,
)
from helixflow.v1 import inference_pb2

OVERHEAD_HEADER = "x-helixflow-overhead-ms"
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": rs.ErrorResponse} for code in (400, 401, 403, 404, 413, 415, 429, 500, 503, 504)
}


def _doc(model: type) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {"model": model}
    return {200: ok, **_ERRORS}


def _stream_doc(model: type) -> dict[int | str, dict[str, Any]]:
    ok: dict[str, Any] = {"model": model, "content": {"text/event-stream": {"schema": {"type": "string"}}}}
    return {200: ok, **_ERRORS}


def _json(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(payload), media_type="application/json", headers=headers)


def _overhead_ms(request: Request, grpc_wait_s: float, router: float) -> str:
    """Bridge time (wall time minus waiting on gRPC) plus the router's reported time."""
    bridge_s = time.perf_counter() - request.state.t0 - grpc_wait_s
    return f"{max(0.0, bridge_s) * 1000 + router:.3f}"


def create_app(settings: BridgeSettings) -> FastAPI:
    metrics = BridgeMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.client = RouterClient(settings)
        app.state.responses = open_store(settings)
        try:
            yield
        finally:
            await app.state.client.close()
            await app.state.responses.close()

    app = FastAPI(
        title="HelixFlow OpenAI-compatible bridge",
        version="1",
        lifespan=lifespan,
        description="OpenAI REST/SSE in front of HelixFlow's gRPC Inference API.",
    )
    app.add_middleware(RequestGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(TracingMiddleware)
    app.add_middleware(RequestIdMiddleware)  # added last = outermost: errors from the guard carry the id too
    errors.install(app)
    started = int(time.time())

    def client(request: Request) -> RouterClient:
        rc: RouterClient = request.app.state.client
        return rc

    async def complete(request: Request, body: ChatCompletionRequest | CompletionRequest) -> Response:
        chat = isinstance(body, ChatCompletionRequest)
        proto = body.to_proto()
        n = body.n or 1
        if n > settings.max_n:
            raise InvalidArgument(f"'n' must be at most {settings.max_n}", field="n")
        gen = Generation.start(client(request), fan_out(proto, n), forward_metadata(request.headers))
        cid, created = new_id("chatcmpl" if chat else "cmpl"), int(time.time())
        want_logprobs = proto.sampling.logprobs
        asked = body.service_tier if isinstance(body, ChatCompletionRequest) else None
        if body.stream:
            iters, firsts = await gen.prime()
            tier = await gen.served_tier(OPENAI_TIERS, asked) if chat else None
            overhead = _overhead_ms(request, gen.grpc_wait_s, await gen.header_router_ms())
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            enc = ChunkEncoder(
                chat=chat,
                completion_id=cid,
                created=created,
                model=body.model,
                fingerprint=settings.system_fingerprint,
                include_usage=include_usage,
                service_tier=tier,
            )
            metrics.observe(request, overhead)
            return SseResponse(
                sse_stream(gen, iters, firsts, enc, want_logprobs, settings.stream_interval_ms / 1000.0),
                media_type="text/event-stream",
                headers={OVERHEAD_HEADER: overhead, "cache-control": "no-cache", "x-accel-buffering": "no"},
            )
        results = await gen.collect()
        tier = await gen.served_tier(OPENAI_TIERS, asked) if chat else None
        choices = [(_chat_choice if chat else _text_choice)(i, r, want_logprobs) for i, r in enumerate(results)]
        payload = {
            "id": cid,
            "object": "chat.completion" if chat else "text_completion",
            "created": created,
            "model": body.model,
            "choices": choices,
            "usage": usage_dict([r.complete.usage for r in results]),
            "system_fingerprint": settings.system_fingerprint,
        }
        if tier is not None:
            payload["service_tier"] = tier
        overhead = _overhead_ms(request, gen.grpc_wait_s, max(r.router_ms for r in results))
        metrics.observe(request, overhead)
        return _json(payload, {OVERHEAD_HEADER: overhead})

    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
        """Chat completion; `stream: true` answers with server-sent events."""
        return await complete(request, body)

    async def completions(body: CompletionRequest, request: Request) -> Response:
        """Legacy text completion; `stream: true` answers with server-sent events."""
        return await complete(request, body)

    async def embeddings(body: EmbeddingRequest, request: Request) -> Response:
        proto = body.to_proto()
        rc = client(request)
        t_call = time.perf_counter()
        call = rc.stub.Embed(proto, metadata=forward_metadata(request.headers), timeout=rc.timeout_s)
        resp = await call
        wait = time.perf_counter() - t_call
        overhead = _overhead_ms(request, wait, router_ms(await call.trailing_metadata()))
        metrics.observe(request, overhead)
        return _json(embedding_list(resp, body.model, body.encoding_format == "base64"), {OVERHEAD_HEADER: overhead})

    # The hot POST endpoints, on the lean JSON-body handler (same schema and errors).
    for path, endpoint, doc in (
        ("/v1/chat/completions", chat_completions, _stream_doc(rs.ChatCompletion)),
        ("/v1/completions", completions, _stream_doc(rs.Completion)),
        ("/v1/embeddings", embeddings, _doc(rs.EmbeddingList)),
    ):
        app.router.add_api_route(
            path, endpoint, methods=["POST"], response_model=None, responses=doc, route_class_override=JsonBodyRoute
        )

    async def list_cards(request: Request) -> list[inference_pb2.ModelCard]:
        rc = client(request)
        resp = await rc.stub.ListModels(
            inference_pb2.ListModelsRequest(),
            metadata=forward_metadata(request.headers),
            timeout=rc.timeout_s,
        )
        return list(resp.models)

    @app.get("/v1/models", response_model=None, responses=_doc(rs.ModelList))
    async def models(request: Request) -> Response:
        cards = await list_cards(request)
        return _json({"object": "list", "data": [model_dict(c, started) for c in cards]})

    @app.get("/v1/models/{model_id:path}", response_model=None, responses=_doc(rs.Model))
    async def model(model_id: str, request: Request) -> Response:
        for card in await list_cards(request):
            if model_id == card.id or model_id in card.aliases:
                return _json(model_dict(card, started))
        raise ModelNotFound(f"The model '{model_id}' does not exist", field="model")

    @app.get("/healthz", response_model=None, include_in_schema=False)
    async def healthz() -> Response:
        """Live: the process answers."""
        return _json({"status": "ok"})

    @app.get("/readyz", response_model=None, include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """Ready: the router's health says a worker serves. Probes carry no API key, and
        the router leaves health open while ListModels needs one."""
        if not await client(request).router_ready():
            return Response(b'{"status":"router not ready"}', status_code=503, media_type="application/json")
        return _json({"status": "ready"})

    @app.get("/metrics", response_model=None, include_in_schema=False)
    async def prometheus() -> Response:
        return metrics.response()

    responses_api.mount(app)
    messages_api.mount(app)
    console.mount(app, settings)
    return app


def _chat_choice(index: int, r: ChoiceResult, want_logprobs: bool) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": r.text, "refusal": None}
    if r.complete.tool_calls:
        message["content"] = r.text or None
        message["tool_calls"] = tool_calls_json(r.complete.tool_calls)
    return {
        "index": index,
        "message": message,
        "logprobs": chat_logprobs(r.logprobs) if want_logprobs else None,
        "finish_reason": finish_reason(r.complete),
    }


def _text_choice(index: int, r: ChoiceResult, want_logprobs: bool) -> dict[str, Any]:
    return {
        "text": r.text,
        "index": index,
        "logprobs": text_logprobs(r.logprobs, 0) if want_logprobs else None,
        "finish_reason": finish_reason(r.complete),
    }
