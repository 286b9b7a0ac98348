"""Round robin: the baseline. Cycles through the candidates in address order."""

from __future__ import annotations

from collections.abc import Sequence

from helixflow.router.policies.base import C


class RoundRobin:
    wants_key = False

    def __init__(self) -> None:
        self._next = 0

    def choose(self, candidates: Sequence[C], key: int | None) -> C:
        # Sorted so the cycle is stable whatever order the pool lists workers in.
        ordered = sorted(candidates, key=lambda c: c.address)
        chosen = ordered[self._next % len(ordered)]
        self._next += 1
        return chosen
