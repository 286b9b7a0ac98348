"""The public Inference service: resolve the model, ask the gate, forward, settle.

Generate yields each message as the bytes the worker sent (``helixflow.router.wire``);
``add_to_server`` registers the service with a Generate serializer that passes bytes on.

Authentication ran before (``AuthInterceptor``). Each RPC resolves the model once,
then asks the access gate explicitly (admission, the forwarding stream, settlement),
and every error it meets, the gate's included, ends the call the same way
(``Call.fail``: status, error metric and the router's time in the trailer).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol, TypeVar

import grpc

from helixflow.common import tracing
from helixflow.common.errors import HelixError, InvalidArgument
from helixflow.router import fallback
from helixflow.router.access.gate import AccessGate
from helixflow.router.access.pricing import Pricing
from helixflow.router.call import Call
from helixflow.router.pool import Worker
from helixflow.router.upstream import UpstreamError
from helixflow.router.wire import Reply, serialize
from helixflow.v1 import inference_pb2, inference_pb2_grpc

Ctx = grpc.aio.ServicerContext[Any, Any]
T = TypeVar("T")


class Models(Protocol):
    """The models served and their workers: ``helixflow.router.routing.Router``."""

    def resolve(self, name: str) -> str: ...
    def known_models(self) -> dict[str, list[Worker]]: ...
    def aliases_of(self, model_id: str) -> list[str]: ...
    def model_cards(self) -> list[inference_pb2.ModelCard]: ...

    chains: dict[str, list[str]]


class Upstream(Protocol):
    """Where admitted calls go: ``helixflow.router.forwarding.Forwarder``."""

    def generate(self, request: inference_pb2.GenerateRequest, model: str, call: Call) -> AsyncIterator[Reply]: ...
    async def embed(
        self, request: inference_pb2.EmbedRequest, model: str, call: Call
    ) -> inference_pb2.EmbedResponse: ...
    async def tokenize(
        self, request: inference_pb2.TokenizeRequest, model: str, call: Call
    ) -> inference_pb2.TokenizeResponse: ...


class Finished(Protocol):
    """Where finished Generate calls are recorded: ``helixflow.router.console.requests.RequestLog``."""

    def generate_done(
        self,
        request: inference_pb2.GenerateRequest,
        model: str,
        t0: float,
        first: float | None,
        done: inference_pb2.GenerateResponse | None,
        exc: BaseException | None,
        context: Ctx | None = None,
        served: str | None = None,
    ) -> None: ...


class InferenceServicer(inference_pb2_grpc.InferenceServicer):
    def __init__(
        self,
        models: Models,
        gate: AccessGate,
        upstream: Upstream,
        max_request_s: float,
        finished: Finished | None = None,
        pricing: Pricing | None = None,
    ) -> None:
        self._models = models
        self._gate = gate
        self._upstream = upstream
        self._max_request_s = max_request_s
        self._finished = finished
        self._pricing = pricing or Pricing()

    async def Generate(self, request: inference_pb2.GenerateRequest, context: Ctx) -> AsyncIterator[bytes]:  # type: ignore[override]
        call = Call("Generate", context, self._max_request_s)
        with tracing.server_span("router.Generate", context.invocation_metadata(), {"helixflow.model": request.model}):
            try:
                model = self._models.resolve(request.model)
                ticket = await self._gate.admit_generate(request, model)
                completed = False
                t0, first = time.perf_counter(), None
                done: inference_pb2.GenerateResponse | None = None
                failure: BaseException | None = None
                try:
                    replies = ticket.replay()
                    if replies is None:
                        replies = self._upstream.generate(request, model, call)
                    else:  # a cached reply: no worker call sends the headers
                        await call.first_reply(request.priority)
                    # One loop per token, nothing wrapped around it: the request log's timing is kept here.
                    async for reply in replies:
                        if reply[1] is not None:
                            done = reply[1]
                        elif first is None:
                            first = time.perf_counter()
                        ticket.observe(reply)
                        yield reply[0]  # serialized already: see add_to_server
                    completed = True
                except BaseException as exc:
                    failure = exc
                    raise
                finally:
                    if self._finished is not None:
                        self._finished.generate_done(request, model, t0, first, done, failure, context, call.target)
                    ticket.model = call.target or model
                    await self._gate.settle(ticket, completed)
            except (HelixError, UpstreamError) as err:
                await call.fail(err)
        call.finish()

    async def Embed(self, request: inference_pb2.EmbedRequest, context: Ctx) -> inference_pb2.EmbedResponse:
        call = Call("Embed", context, self._max_request_s)
        return await self._answer(call, self._embed(request, call))

    async def _embed(self, request: inference_pb2.EmbedRequest, call: Call) -> inference_pb2.EmbedResponse:
        if not request.inputs:
            raise InvalidArgument("inputs is empty: send at least one text", field="inputs")
        model = self._models.resolve(request.model)
        ticket = await self._gate.admit_embed(request, model)
        reply = await self._gate.embed(ticket, request, model, lambda r: self._upstream.embed(r, model, call))
        await self._gate.settle(ticket, completed=True)
        return reply

    async def Tokenize(self, request: inference_pb2.TokenizeRequest, context: Ctx) -> inference_pb2.TokenizeResponse:
        call = Call("Tokenize", context, self._max_request_s)
        return await self._answer(call, self._tokenize(request, call))

    async def _tokenize(self, request: inference_pb2.TokenizeRequest, call: Call) -> inference_pb2.TokenizeResponse:
        model = self._models.resolve(request.model)
        self._gate.check_model(model)
        return await self._upstream.tokenize(request, model, call)

    @staticmethod
    async def _answer(call: Call, reply: Awaitable[T]) -> T:
        """A unary call's end: its errors and its router time, as Generate's."""
        try:
            result = await reply
        except (HelixError, UpstreamError) as err:
            await call.fail(err)
        call.finish()
        return result

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: Ctx
    ) -> inference_pb2.ListModelsResponse:
        reply = inference_pb2.ListModelsResponse(models=self._models.model_cards())
        for card in reply.models:
            if (price := self._pricing.price(card.id)) is not None:
                card.price.CopyFrom(price.to_proto())
        fallback.add_cards(reply, self._models.chains)
        return reply


def add_to_server(servicer: InferenceServicer, server: grpc.aio.Server) -> None:
    """Register ``servicer`` as the generated ``add_InferenceServicer_to_server`` does,
    but with Generate's replies sent as the bytes it yields."""
    pb = inference_pb2
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Generate": grpc.unary_stream_rpc_method_handler(
            servicer.Generate, request_deserializer=pb.GenerateRequest.FromString, response_serializer=serialize
        ),
        "Embed": grpc.unary_unary_rpc_method_handler(
            servicer.Embed,
            request_deserializer=pb.EmbedRequest.FromString,
            response_serializer=pb.EmbedResponse.SerializeToString,
        ),
        "Tokenize": grpc.unary_unary_rpc_method_handler(
            servicer.Tokenize,
            request_deserializer=pb.TokenizeRequest.FromString,
            response_serializer=pb.TokenizeResponse.SerializeToString,
        ),
        "ListModels": grpc.unary_unary_rpc_method_handler(
            servicer.ListModels,
            request_deserializer=pb.ListModelsRequest.FromString,
            response_serializer=pb.ListModelsResponse.SerializeToString,
        ),
    }
    name = pb.DESCRIPTOR.services_by_name["Inference"].full_name
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(name, handlers),))
    server.add_registered_method_handlers(name, handlers)
