"""Stand-ins for what lies behind the router's access gate: the workers (``FakeUpstream``)
and the model catalog (``FakeModels``). The real ``InferenceServicer`` and gate run in front."""

from __future__ import annotations

from collections.abc import AsyncIterator

from helixflow.router import wire
from helixflow.router.call import Call
from helixflow.router.pool import Worker
from helixflow.router.wire import Reply
from helixflow.v1 import common_pb2, inference_pb2

PROMPT_TOKENS = 5
COMPLETION_TOKENS = 3


class FakeModels:
    """Every name is a model of its own; no workers to list, no fallback chains."""

    chains: dict[str, list[str]] = {}  # noqa: RUF012 -- read-only, as the Models protocol wants

    def resolve(self, name: str) -> str:
        return name

    def known_models(self) -> dict[str, list[Worker]]:
        return {}

    def aliases_of(self, model_id: str) -> list[str]:
        return []

    def model_cards(self) -> list[inference_pb2.ModelCard]:
        return []


class FakeUpstream:
    """Answers as a worker would, counting the calls that got this far."""

    def __init__(self) -> None:
        self.upstream_calls = 0
        self.priorities: list[int] = []  # GenerateRequest.priority as each call reached the worker

    async def generate(self, request: inference_pb2.GenerateRequest, model: str, call: Call) -> AsyncIterator[Reply]:
        self.upstream_calls += 1
        self.priorities.append(request.priority)
        text = f"out-{self.upstream_calls}"
        yield wire.of(inference_pb2.GenerateResponse(delta=common_pb2.TokenDelta(text=text, token_ids=[1, 2])))
        yield wire.of(inference_pb2.GenerateResponse(delta=common_pb2.TokenDelta(text="!", token_ids=[3])))
        usage = common_pb2.Usage(prompt_tokens=PROMPT_TOKENS, completion_tokens=COMPLETION_TOKENS)
        complete = common_pb2.Complete(finish_reason=common_pb2.FINISH_REASON_STOP, usage=usage)
        yield wire.of(inference_pb2.GenerateResponse(complete=complete))

    async def embed(self, request: inference_pb2.EmbedRequest, model: str, call: Call) -> inference_pb2.EmbedResponse:
        self.upstream_calls += 1
        response = inference_pb2.EmbedResponse(model=request.model)
        for index, text in enumerate(request.inputs):
            response.embeddings.add(index=index, values=[float(len(text)), 0.5])
        response.usage.prompt_tokens = 2 * len(request.inputs)
        return response

    async def tokenize(
        self, request: inference_pb2.TokenizeRequest, model: str, call: Call
    ) -> inference_pb2.TokenizeResponse:
        return inference_pb2.TokenizeResponse(token_ids=[1, 2, 3])
