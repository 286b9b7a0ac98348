"""OpenAI's ``service_tier`` as a HelixFlow priority class (Chat Completions and Responses).

"priority" asks for HIGH, "flex" for LOW; "auto" and "default" leave the priority
unset (the router runs it at NORMAL). The router caps the class by the key's scope,
so a key without HIGH that asks for "priority" runs at its cap instead of being
refused. Anthropic Messages has its own values (``schemas/messages.py``).
"""

from __future__ import annotations

from helixflow.common.errors import InvalidArgument
from helixflow.v1 import common_pb2, inference_pb2

TIERS: dict[str, common_pb2.Priority.ValueType] = {
    "auto": common_pb2.PRIORITY_UNSPECIFIED,
    "default": common_pb2.PRIORITY_UNSPECIFIED,
    "flex": common_pb2.PRIORITY_LOW,
    "priority": common_pb2.PRIORITY_HIGH,
}


def apply_service_tier(req: inference_pb2.GenerateRequest, tier: str | None) -> None:
    """Set ``req.priority`` from ``tier``; a 400 naming the field for any other value."""
    if tier is None:
        return
    if tier not in TIERS:
        accepted = ", ".join(repr(t) for t in TIERS)
        raise InvalidArgument(f"'service_tier' must be one of {accepted}; got {tier!r}", field="service_tier")
    req.priority = TIERS[tier]


# The router's PRIORITY_KEY header value -> the tier a response names.
_SERVED = {"low": "flex", "normal": "default", "high": "priority"}


def echoed_tier(tier: str | None) -> str:
    """The tier asked for, "default" when none (or "auto") was."""
    return "default" if tier in (None, "auto") else tier


def served_tier(priority: str | None, asked: str | None) -> str:
    """The tier a response names: the class the router ran the call at (``priority``, from
    its headers: a key without HIGH runs "priority" at its cap), else the one asked for."""
    return _SERVED.get(priority or "", echoed_tier(asked))
