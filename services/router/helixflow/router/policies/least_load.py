"""Least load: the worker with the lowest score (queued + running + KV use); random tie-break."""

from __future__ import annotations

import random
from collections.abc import Sequence

from helixflow.router.policies.base import C


def least_loaded(candidates: Sequence[C], rng: random.Random) -> C:
    best: list[C] = []
    best_score = float("inf")
    for c in candidates:
        s = c.score()
        if s < best_score:
            best, best_score = [c], s
        elif s == best_score:
            best.append(c)
    return best[0] if len(best) == 1 else rng.choice(best)


class LeastLoad:
    wants_key = False

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    def choose(self, candidates: Sequence[C], key: int | None) -> C:
        return least_loaded(candidates, self._rng)
