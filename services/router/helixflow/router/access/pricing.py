"""What requests cost: prices per model in US dollars per million tokens (router
setting ``pricing``), turned into integer nano-dollars so counters in Redis stay exact.

A fallback alias has no price of its own: a finished request is charged at the price
of the target that answered, and a budget reservation takes the dearest target.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from helixflow.v1 import common_pb2, inference_pb2

NANOS_PER_USD = 1_000_000_000
# One dollar per million tokens is 1000 nano-dollars per token.
_NANOS_PER_TOKEN_AT_ONE = NANOS_PER_USD // 1_000_000


class Price(BaseModel):
    """US dollars per million tokens. ``cached`` (prompt tokens served from a prefix cache)
    defaults to the prompt price."""

    prompt: float = Field(0.0, ge=0)
    cached: float | None = Field(None, ge=0)
    completion: float = Field(0.0, ge=0)

    @property
    def cached_price(self) -> float:
        return self.prompt if self.cached is None else self.cached

    def to_proto(self) -> inference_pb2.ModelPrice:
        return inference_pb2.ModelPrice(
            prompt_per_million=self.prompt,
            cached_per_million=self.cached_price,
            completion_per_million=self.completion,
        )


def usd(nanos: int) -> float:
    return nanos / NANOS_PER_USD


def nanos(dollars: float) -> int:
    return round(dollars * NANOS_PER_USD)


class Pricing:
    """Prices by model id; ``chains`` (alias -> targets) say which models an alias may cost."""

    def __init__(self, prices: dict[str, Price] | None = None, chains: dict[str, list[str]] | None = None) -> None:
        self._prices = dict(prices or {})
        self._chains = dict(chains or {})

    def price(self, model: str) -> Price | None:
        """A model's price; a fallback alias without its own takes its first target's."""
        targets = self._chains.get(model)
        if model not in self._prices and targets:
            return self._prices.get(targets[0])
        return self._prices.get(model)

    def cost(self, model: str, usage: common_pb2.Usage | None) -> int:
        """Nano-dollars for a finished request's usage on ``model`` (0 when unpriced)."""
        price = self.price(model)
        if price is None or usage is None:
            return 0
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        per_token = (
            (usage.prompt_tokens - cached) * price.prompt
            + cached * price.cached_price
            + usage.completion_tokens * price.completion
        )
        return round(per_token * _NANOS_PER_TOKEN_AT_ONE)

    def bound(self, model: str, prompt_tokens: int, max_tokens: int) -> int:
        """The most a request may cost (its budget reservation): the prompt at the full prompt
        price plus ``max_tokens`` completion tokens, on the dearest model it may reach."""
        worst = 0.0
        for target in [model, *self._chains.get(model, [])]:
            price = self._prices.get(target)
            if price is not None:
                worst = max(
                    worst, prompt_tokens * max(price.prompt, price.cached_price) + max_tokens * price.completion
                )
        return math.ceil(worst * _NANOS_PER_TOKEN_AT_ONE)
