"""Routing policies, one module each. ``make_policy`` picks one by its config name."""

from __future__ import annotations

from helixflow.router.config import RouterSettings
from helixflow.router.policies.base import Candidate, Policy
from helixflow.router.policies.least_load import LeastLoad
from helixflow.router.policies.prefix_affinity import PrefixAffinity
from helixflow.router.policies.round_robin import RoundRobin

__all__ = ["Candidate", "LeastLoad", "Policy", "PrefixAffinity", "RoundRobin", "make_policy"]


def make_policy(settings: RouterSettings) -> Policy:
    if settings.policy == "round_robin":
        return RoundRobin()
    if settings.policy == "least_load":
        return LeastLoad()
    return PrefixAffinity(margin=settings.affinity_margin)
