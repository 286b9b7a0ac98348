"""Per-request access control for the Inference servicer: model scope, quotas,
stream slots, caches and usage, asked explicitly around the call to a worker.

The servicer resolves the model, then::

    ticket = await gate.admit_generate(request, model)    # scope, quota, stream slot, cache lookup
    try:
        async for reply in ticket.replay() or forward(...):   # (bytes, parsed Complete or None)
            ticket.observe(reply)
            yield reply[0]
    finally:
        await gate.settle(ticket, completed)              # cache store, slot, tokens, usage

Embed admits with ``admit_embed``, answers through ``embed`` (the embedding cache)
and settles once answered. Tokenize only needs ``check_model``. Errors raised here
are domain errors; the servicer ends the call with them like any other.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from helixflow.common.grpc_server import PRIORITY_LABELS
from helixflow.router import wire
from helixflow.router.access.auth.principal import Principal, current_principal
from helixflow.router.access.cache.embedding import EmbeddingCache
from helixflow.router.access.cache.response import ResponseCache
from helixflow.router.access.pricing import Pricing
from helixflow.router.access.projects.store import ProjectRecord
from helixflow.router.access.quota.budget import MemoryBudgets, Reservation
from helixflow.router.access.quota.enforcer import QuotaEnforcer
from helixflow.router.access.spend import Spend
from helixflow.router.access.usage.store import UsageRecorder
from helixflow.router.metrics import GENERATE_BY_PRIORITY
from helixflow.router.wire import Reply
from helixflow.v1 import common_pb2, inference_pb2

EmbedCall = Callable[[inference_pb2.EmbedRequest], Awaitable[inference_pb2.EmbedResponse]]


def estimate_prompt_tokens(request: inference_pb2.GenerateRequest) -> int:
    """Admission charge before the worker has tokenized; corrected from the final usage."""
    kind = request.WhichOneof("input")
    if kind == "token_ids":
        return len(request.token_ids.ids)
    if kind == "prompt":
        return max(1, len(request.prompt) // 4)
    if kind == "messages":
        return max(1, request.messages.ByteSize() // 4)
    return 1


@dataclass(slots=True)
class Ticket:
    """What admission decided for one call; settlement reads it back."""

    principal: Principal
    estimate: int
    # The model the call is priced at: the resolved one, or the fallback target that answered.
    model: str = ""
    project: ProjectRecord | None = None
    reservation: Reservation | None = None
    stream_slot: bool = False
    cache_key: str | None = None
    cached: list[inference_pb2.GenerateResponse] | None = None
    # The messages to store under cache_key once the stream completes (a miss with a key).
    seen: list[inference_pb2.GenerateResponse] | None = None
    usage: common_pb2.Usage | None = None

    def replay(self) -> AsyncIterator[Reply] | None:
        """The cached stream, or None when the call must go to a worker."""
        return None if self.cached is None else _replay(self.cached)

    def observe(self, reply: Reply) -> None:
        """Note a message on its way to the client: kept for the cache, usage from the
        terminal one (the only one parsed on the way; a cacheable stream is parsed here)."""
        data, complete = reply
        if self.seen is not None:
            self.seen.append(complete or inference_pb2.GenerateResponse.FromString(data))
        if complete is not None:
            self.usage = complete.complete.usage


class AccessGate:
    def __init__(
        self,
        quota: QuotaEnforcer,
        usage: UsageRecorder,
        response_cache: ResponseCache | None,
        embedding_cache: EmbeddingCache | None,
        spend: Spend | None = None,
        reserve_max_tokens: int = 4096,
    ) -> None:
        self._quota = quota
        self._usage = usage
        self.spend = spend or Spend(quota, usage, Pricing(), MemoryBudgets(), None, fail_open=False)
        self._reserve_max_tokens = reserve_max_tokens
        self._responses = response_cache
        self._embeddings = embedding_cache

    def check_model(self, model: str) -> None:
        """PERMISSION_DENIED unless the caller's scope covers ``model`` (for Tokenize etc.)."""
        current_principal().require_model(model)

    async def admit_generate(self, request: inference_pb2.GenerateRequest, model: str) -> Ticket:
        """Scope, rate limits and a stream slot, then the response cache; raises when refused.
        Once this returns, ``settle`` must follow whatever happens."""
        principal = current_principal()
        principal.require_model(model)
        # The worker schedules by this field; the scope caps what the caller asked for.
        request.priority = common_pb2.Priority.ValueType(principal.priority_for(request.priority))
        GENERATE_BY_PRIORITY.labels(priority=PRIORITY_LABELS[request.priority]).inc()
        ticket = Ticket(principal, estimate_prompt_tokens(request), model)
        await self._quota.admit(principal, ticket.estimate)
        ticket.project = await self.spend.project(principal, model, ticket.estimate)
        ticket.stream_slot = await self._quota.open_stream(principal)
        sampling = request.sampling
        max_tokens = sampling.max_tokens if sampling.HasField("max_tokens") else self._reserve_max_tokens
        try:
            ticket.reservation = await self.spend.reserve(principal, ticket.project, model, ticket.estimate, max_tokens)
        except BaseException:
            if ticket.stream_slot:
                await self._quota.close_stream(principal)
            raise
        responses = self._responses
        try:
            ticket.cache_key = responses.key_for(request, model) if responses is not None else None
            if responses is not None and ticket.cache_key is not None:
                ticket.cached = await responses.lookup(ticket.cache_key)
                ticket.seen = [] if ticket.cached is None else None
        except BaseException:
            await self.settle(ticket, completed=False)
            raise
        return ticket

    async def admit_embed(self, request: inference_pb2.EmbedRequest, model: str) -> Ticket:
        principal = current_principal()
        principal.require_model(model)
        ticket = Ticket(principal, max(1, sum(len(text) for text in request.inputs) // 4), model)
        await self._quota.admit(principal, ticket.estimate)
        ticket.project = await self.spend.project(principal, model, ticket.estimate)
        ticket.reservation = await self.spend.reserve(principal, ticket.project, model, ticket.estimate, 0)
        return ticket

    async def embed(
        self, ticket: Ticket, request: inference_pb2.EmbedRequest, model: str, forward: EmbedCall
    ) -> inference_pb2.EmbedResponse:
        """The answer, from the embedding cache where it can be; its usage goes on the ticket."""
        if self._embeddings is not None:
            response = await self._embeddings.embed(request, model, forward)
        else:
            response = await forward(request)
        ticket.usage = response.usage
        return response

    async def settle(self, ticket: Ticket, completed: bool) -> None:
        """Store a completed stream in the cache, free the stream slot, charge the tokens
        the estimate missed and record usage. Cached answers are charged like fresh ones:
        the usage replayed is the original's."""
        try:
            if completed and ticket.seen and self._responses is not None and ticket.cache_key is not None:
                await self._responses.store(ticket.cache_key, ticket.seen)
        finally:
            principal = ticket.principal
            if ticket.stream_slot:
                await self._quota.close_stream(principal)
            usage = ticket.usage
            prompt = usage.prompt_tokens if usage else ticket.estimate
            completion = usage.completion_tokens if usage else 0
            delta = prompt + completion - ticket.estimate
            await self._quota.reconcile(principal, delta)
            # A call that failed is charged its estimated prompt, as for tokens.
            cost = self.spend.pricing.cost(ticket.model, usage or common_pb2.Usage(prompt_tokens=prompt))
            await self._usage.record(principal.subject, requests=1, prompt=prompt, completion=completion, cost=cost)
            await self.spend.settle(principal, ticket.project, ticket.reservation, cost, prompt, completion, delta)


async def _replay(messages: list[inference_pb2.GenerateResponse]) -> AsyncIterator[Reply]:
    for message in messages:
        yield wire.of(message)
