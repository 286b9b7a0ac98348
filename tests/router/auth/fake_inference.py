"""A stand-in Inference servicer: plain, like the router's; the access interceptor does the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc

Context = grpc.aio.ServicerContext[Any, Any]

PROMPT_TOKENS = 5
COMPLETION_TOKENS = 3


class FakeInference(inference_pb2_grpc.InferenceServicer):
    def __init__(self) -> None:
        self.upstream_calls = 0

    async def _worker(self, request: inference_pb2.GenerateRequest) -> AsyncIterator[inference_pb2.GenerateResponse]:
        self.upstream_calls += 1
        text = f"out-{self.upstream_calls}"
        yield inference_pb2.GenerateResponse(delta=common_pb2.TokenDelta(text=text, token_ids=[1, 2]))
        yield inference_pb2.GenerateResponse(delta=common_pb2.TokenDelta(text="!", token_ids=[3]))
        usage = common_pb2.Usage(prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS)
        complete = common_pb2.Complete(finish_reason=common_pb2.FINISH_REASON_STOP, usage=usage)
        yield inference_pb2.GenerateResponse(complete=complete)

    async def Generate(
        self, request: inference_pb2.GenerateRequest, context: Context
    ) -> AsyncIterator[inference_pb2.GenerateResponse]:
        async for message in self._worker(request):
            yield message

    async def _embed(self, request: inference_pb2.EmbedRequest) -> inference_pb2.EmbedResponse:
        self.upstream_calls += 1
        response = inference_pb2.EmbedResponse(model=request.model)
        for index, text in enumerate(request.inputs):
            response.embeddings.add(index=index, values=[float(len(text)), 0.5])
        response.usage.prompt_tokens = 2 * len(request.inputs)
        return response

    async def Embed(self, request: inference_pb2.EmbedRequest, context: Context) -> inference_pb2.EmbedResponse:
        return await self._embed(request)

    async def Tokenize(
        self, request: inference_pb2.TokenizeRequest, context: Context
    ) -> inference_pb2.TokenizeResponse:
        return inference_pb2.TokenizeResponse(token_ids=[1, 2, 3])

    async def ListModels(
        self, request: inference_pb2.ListModelsRequest, context: Context
    ) -> inference_pb2.ListModelsResponse:
        return inference_pb2.ListModelsResponse()
