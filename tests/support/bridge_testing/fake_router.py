"""A scripted Inference service: lets unit tests drive every bridge path deterministically.

Prompt text steers it: "fail-early" -> NOT_FOUND before any token, "fail-mid" -> an
error after two tokens, "slow" -> a long stream that waits between tokens,
"call-tool" (with tools) -> a short text, then a call of the first tool streamed in pieces.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc

from helixflow.common import grpc_server
from helixflow.common.errors import ModelNotFound, QueueFull, Unauthenticated, WorkerLost
from helixflow.rest_bridge.client import INFERENCE_SERVICE
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc

MODEL = "fake-model"


class FakeInference(inference_pb2_grpc.InferenceServicer):
    def __init__(self) -> None:
        self.active = 0
        self.cancelled = 0
        self.last_metadata: dict[str, str] = {}
        self.last_request: inference_pb2.GenerateRequest | None = None

    def _check(self, model: str, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        self.last_metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        if self.last_metadata.get("authorization") == "Bearer bad":
            raise Unauthenticated("bad token")
        if model != MODEL:
            raise ModelNotFound(f"model '{model}' not found", field="model")

    async def Generate(
        self, request: inference_pb2.GenerateRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[inference_pb2.GenerateResponse]:
        self._check(request.model, context)
        self.last_request = request
        text = request.prompt or (request.messages.messages[-1].content if request.messages.messages else "")
        if "busy" in text:
            raise QueueFull("queue full", retry_after_s=2.5)
        await context.send_initial_metadata((("x-helixflow-router-ms", "0.25"),))
        if "call-tool" in text and request.tools:
            for msg in tool_call_script(request.tools[0].name):
                yield msg
            return
        words = ["Hello", " world", "!", " seed", f" {request.sampling.seed}"]
        limit = request.sampling.max_tokens if request.sampling.HasField("max_tokens") else len(words)
        self.active += 1
        try:
            for i in range(200 if "slow" in text else min(limit, len(words))):
                if "fail-mid" in text and i == 2:
                    raise WorkerLost("worker went away")
                if "slow" in text:
                    await asyncio.sleep(0.02)
                tok = words[i % len(words)]
                lps = []
                if request.sampling.logprobs:
                    top = [common_pb2.TopLogprob(token=tok, logprob=-0.1, bytes=tok.encode())]
                    lps = [common_pb2.TokenLogprob(token=tok, logprob=-0.1, bytes=tok.encode(), top=top)]
                yield inference_pb2.GenerateResponse(delta=common_pb2.TokenDelta(text=tok, token_ids=[i], logprobs=lps))
            reason = common_pb2.FINISH_REASON_LENGTH if limit < len(words) else common_pb2.FINISH_REASON_STOP
            context.set_trailing_metadata((("x-helixflow-router-ms", "0.5"),))
            yield inference_pb2.GenerateResponse(
                complete=common_pb2.Complete(
                    finish_reason=reason,
                    usage=common_pb2.Usage(prompt_tokens=3, completion_tokens=min(limit, len(words))),
                )
            )
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.active -= 1

    async def Embed(
        self, request: inference_pb2.EmbedRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> inference_pb2.EmbedResponse:
        self._check(request.model, context)
        embs = [
            inference_pb2.Embedding(index=i, values=[0.5, -0.25, float(len(t))]) for i, t in enumerate(request.inputs)
        ]
        return inference_pb2.EmbedResponse(
            model=MODEL, embeddings=embs, usage=common_pb2.Usage(prompt_tokens=len(request.inputs))
        )

    async def Tokenize(
        self, request: inference_pb2.TokenizeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> inference_pb2.TokenizeResponse:
        self._check(request.model, context)
        return inference_pb2.TokenizeResponse(token_ids=[1, 2])

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> inference_pb2.ListModelsResponse:
        card = inference_pb2.ModelCard(id=MODEL, aliases=["fake"], supports_generate=True, ready_workers=1)
        return inference_pb2.ListModelsResponse(models=[card])


async def start_fake_router() -> tuple[grpc.aio.Server, int, FakeInference]:
    server = grpc_server.new_server()
    servicer = FakeInference()
    inference_pb2_grpc.add_InferenceServicer_to_server(servicer, server)
    health = grpc_server.Health(server, [INFERENCE_SERVICE])
    port = grpc_server.bind(server, "127.0.0.1:0", None)
    await server.start()
    await health.set_ready(True)
    return server, port, servicer


TOOL_ARGUMENT_PIECES = ['{"city', '": "Par', 'is"}']


def tool_call_script(name: str) -> list[inference_pb2.GenerateResponse]:
    """What a worker streams for "Let me check." plus one call of ``name``."""
    delta = common_pb2.TokenDelta
    pieces = [delta(text="Let me check.", token_ids=[1])]
    pieces.append(delta(token_ids=[2], tool_calls=[common_pb2.ToolCallDelta(index=0, id="call_1", name=name)]))
    for i, frag in enumerate(TOOL_ARGUMENT_PIECES):
        pieces.append(delta(token_ids=[3 + i], tool_calls=[common_pb2.ToolCallDelta(index=0, arguments=frag)]))
    done = common_pb2.Complete(
        finish_reason=common_pb2.FINISH_REASON_TOOL_CALLS,
        usage=common_pb2.Usage(prompt_tokens=3, completion_tokens=5),
        tool_calls=[common_pb2.ToolCall(id="call_1", name=name, arguments="".join(TOOL_ARGUMENT_PIECES))],
    )
    return [inference_pb2.GenerateResponse(delta=p) for p in pieces] + [inference_pb2.GenerateResponse(complete=done)]
