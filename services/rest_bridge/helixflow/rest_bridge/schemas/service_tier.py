"""``service_tier`` as a HelixFlow priority class, for OpenAI (Chat Completions and
Responses) and Anthropic (Messages).

A request's tier asks for a class; the router caps it by the key's scope, so a key
without HIGH that asks for priority runs at its cap instead of being refused. A
response names the class the call ran at (the router's PRIORITY_KEY header), in the
API's own words, as OpenAI and Anthropic report the tier used.

- OpenAI: "priority" asks for HIGH, "flex" for LOW; "auto" and "default" leave it
  unset (NORMAL). Served as "flex", "default" or "priority".
- Anthropic: "auto" (priority capacity when the key has it) asks for HIGH and
  "standard_only" for NORMAL. Served as "batch", "standard" or "priority" in
  ``usage.service_tier``. Unlike Anthropic's API, where an omitted tier means "auto",
  an omitted tier asks for nothing (NORMAL): a key's HIGH scope is a permission, and
  running all of its calls at HIGH by default would starve the keys without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from helixflow.common.errors import InvalidArgument
from helixflow.common.grpc_server import PRIORITY_LABELS
from helixflow.v1 import common_pb2, inference_pb2


@dataclass(frozen=True, slots=True)
class ServiceTiers:
    """One API's tiers: the priority each value asks for, and the name of each class served."""

    asks: Mapping[str, common_pb2.Priority.ValueType]
    names: Mapping[str, str]  # PRIORITY_LABELS value -> the tier a response names

    def apply(self, req: inference_pb2.GenerateRequest, tier: str | None) -> None:
        """Set ``req.priority`` from ``tier``; a 400 naming the field for any other value."""
        if tier is None:
            return
        if tier not in self.asks:
            accepted = ", ".join(repr(t) for t in self.asks)
            raise InvalidArgument(f"'service_tier' must be one of {accepted}; got {tier!r}", field="service_tier")
        req.priority = self.asks[tier]

    def served(self, ran_at: str | None, asked: str | None) -> str:
        """The tier a response names: the class the router ran the call at (``ran_at``, its
        header), else (a router that did not say) the class ``asked`` for, uncapped."""
        if ran_at is None or ran_at not in self.names:
            ran_at = PRIORITY_LABELS.get(self.asks.get(asked or "", common_pb2.PRIORITY_UNSPECIFIED), "normal")
        return self.names[ran_at]


OPENAI_TIERS = ServiceTiers(
    asks={
        "auto": common_pb2.PRIORITY_UNSPECIFIED,
        "default": common_pb2.PRIORITY_UNSPECIFIED,
        "flex": common_pb2.PRIORITY_LOW,
        "priority": common_pb2.PRIORITY_HIGH,
    },
    names={"low": "flex", "normal": "default", "high": "priority"},
)
ANTHROPIC_TIERS = ServiceTiers(
    asks={"auto": common_pb2.PRIORITY_HIGH, "standard_only": common_pb2.PRIORITY_NORMAL},
    names={"low": "batch", "normal": "standard", "high": "priority"},
)
