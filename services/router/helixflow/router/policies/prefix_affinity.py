"""Prefix affinity + load (the default).

The prompt's leading blocks hash to a point on a consistent-hash ring of the
candidate workers, so requests sharing a long system prompt land where its KV
cache already is, and adding or removing a worker moves only its share of keys.
Affinity alone makes hot spots, so when the preferred worker's score exceeds
the least-loaded one's by more than ``margin``, the request goes to the least
loaded instead.

A key's spill-over is remembered: the worker that last served a key is its
preferred worker from then on (its KV cache now holds that prefix), so a hot
worker sheds whole prefix groups instead of scattering every group's requests
and paying a cold prefill on each. Keys never seen, or whose worker left, use
the ring. The memory is per router replica and bounded (least recently used
keys are forgotten); replicas agree on every key that has not spilled.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections import OrderedDict
from collections.abc import Sequence

from helixflow.router.policies.base import C
from helixflow.router.policies.least_load import least_loaded

# Virtual nodes per worker: enough to spread keys evenly over a handful of workers.
VNODES = 64
# Prefix keys whose last worker is remembered: a few MB at most.
REMEMBERED_KEYS = 65536


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

    def __init__(self, margin: float, rng: random.Random | None = None, remembered: int = REMEMBERED_KEYS) -> None:
        self.margin = margin
        self._rng = rng or random.Random()
        self._ring_for: frozenset[str] = frozenset()
        self._ring: HashRing | None = None
        self._last_served: OrderedDict[int, str] = OrderedDict()
        self._remembered = remembered

    def _ring_of(self, addresses: frozenset[str]) -> HashRing:
        # Membership changes rarely; rebuild the ring only when it does.
        if self._ring is None or addresses != self._ring_for:
            self._ring = HashRing(sorted(addresses))
            self._ring_for = addresses
        return self._ring

    def preferred(self, candidates: Sequence[C], key: int) -> C:
        """The worker that last served ``key`` if it is a candidate, else the ring's owner."""
        last = self._last_served.get(key)
        owner = last if last is not None and any(c.address == last for c in candidates) else None
        if owner is None:
            owner = self._ring_of(frozenset(c.address for c in candidates)).owner(key)
        return next(c for c in candidates if c.address == owner)

    def choose(self, candidates: Sequence[C], key: int | None) -> C:
        least = least_loaded(candidates, self._rng)
        if key is None or len(candidates) == 1:
            return least
        preferred = self.preferred(candidates, key)
        chosen = least if preferred.score() - least.score() > self.margin else preferred
        self._last_served[key] = chosen.address
        self._last_served.move_to_end(key)
        if len(self._last_served) > self._remembered:
            self._last_served.popitem(last=False)
        return chosen
