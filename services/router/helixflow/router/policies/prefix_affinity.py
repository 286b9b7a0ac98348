"""Prefix affinity + load (the default).

The prompt's leading blocks hash to a point on a consistent-hash ring of the
candidate workers, so requests sharing a long system prompt land where its KV
cache already is, and adding or removing a worker moves only its share of keys.
Affinity alone makes hot spots, so when the preferred worker's score exceeds
the least-loaded one's by more than ``margin``, the request goes to the least
loaded instead.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Sequence

from helixflow.router.policies.base import C
from helixflow.router.policies.least_load import least_loaded

# Virtual nodes per worker: enough to spread keys evenly over a handful of workers.
VNODES = 64


def _point(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class HashRing:
    """A consistent-hash ring over worker addresses."""

    def __init__(self, addresses: Sequence[str]) -> None:
        points = sorted((_point(f"{a}#{i}".encode()), a) for a in addresses for i in range(VNODES))
        self._hashes = [p for p, _ in points]
        self._owners = [a for _, a in points]

    def owner(self, key: int) -> str:
        i = bisect.bisect_left(self._hashes, key)
        return self._owners[i % len(self._owners)]


class PrefixAffinity:
    wants_key = True

    def __init__(self, margin: float, rng: random.Random | None = None) -> None:
        self.margin = margin
        self._rng = rng or random.Random()
        self._ring_for: frozenset[str] = frozenset()
        self._ring: HashRing | None = None

    def _ring_of(self, addresses: frozenset[str]) -> HashRing:
        # Membership changes rarely; rebuild the ring only when it does.
        if self._ring is None or addresses != self._ring_for:
            self._ring = HashRing(sorted(addresses))
            self._ring_for = addresses
        return self._ring

    def preferred(self, candidates: Sequence[C], key: int) -> C:
        owner = self._ring_of(frozenset(c.address for c in candidates)).owner(key)
        return next(c for c in candidates if c.address == owner)

    def choose(self, candidates: Sequence[C], key: int | None) -> C:
        least = least_loaded(candidates, self._rng)
        if key is None or len(candidates) == 1:
            return least
        preferred = self.preferred(candidates, key)
        if preferred.score() - least.score() > self.margin:
            return least
        return preferred
