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
and paying a cold prefill on each.

A key never seen (or whose worker left) goes to the first worker clockwise from
its point whose count of remembered keys is below ``BALANCE`` times the average:
consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam,
2016). A few hot prefixes hashing to one worker would otherwise overflow its KV
cache while the others sit idle. The memory is per router replica and bounded
(least recently used keys are forgotten), so replicas can disagree on a key
that spilled or was bounded off its owner; the price is a cold prefill.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence

from helixflow.router.policies.base import C
from helixflow.router.policies.least_load import least_loaded

# Virtual nodes per worker: enough to spread keys evenly over a handful of workers.
VNODES = 64
# Prefix keys whose last worker is remembered: a few MB at most.
REMEMBERED_KEYS = 65536
# A new key skips a worker already home to this many times its share of keys.
BALANCE = 1.25


def _point(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


class HashRing:
    """A consistent-hash ring over worker addresses."""

    def __init__(self, addresses: Sequence[str]) -> None:
        points = sorted((_point(f"{a}#{i}".encode()), a) for a in addresses for i in range(VNODES))
        self._hashes = [p for p, _ in points]
        self._owners = [a for _, a in points]

    def owners(self, key: int) -> Iterator[str]:
        """Every worker once, clockwise from the key's point: its owner first."""
        start = bisect.bisect_left(self._hashes, key)
        seen: set[str] = set()
        for j in range(len(self._owners)):
            address = self._owners[(start + j) % len(self._owners)]
            if address not in seen:
                seen.add(address)
                yield address

    def owner(self, key: int) -> str:
        return next(self.owners(key))


class PrefixAffinity:
    wants_key = True

    def __init__(self, margin: float, rng: random.Random | None = None, remembered: int = REMEMBERED_KEYS) -> None:
        self.margin = margin
        self._rng = rng or random.Random()
        self._ring_for: frozenset[str] = frozenset()
        self._ring: HashRing | None = None
        self._last_served: OrderedDict[int, str] = OrderedDict()
        self._keys_at: Counter[str] = Counter()  # remembered keys per worker
        self._remembered = remembered

    def _ring_of(self, addresses: frozenset[str]) -> HashRing:
        # Membership changes rarely; rebuild the ring only when it does.
        if self._ring is None or addresses != self._ring_for:
            self._ring = HashRing(sorted(addresses))
            self._ring_for = addresses
        return self._ring

    def preferred(self, candidates: Sequence[C], key: int) -> C:
        """The worker that last served ``key`` if it is a candidate, else the first one
        clockwise on the ring that is not already home to more than its share of keys."""
        by_address = {c.address: c for c in candidates}
        last = self._last_served.get(key)
        if last in by_address:
            return by_address[last]
        ring = self._ring_of(frozenset(by_address))
        total = sum(self._keys_at[a] for a in by_address)
        cap = math.ceil(BALANCE * (total + 1) / len(by_address))
        for address in ring.owners(key):
            if self._keys_at[address] < cap:
                return by_address[address]
        return by_address[ring.owner(key)]  # unreachable: some worker is below average

    def choose(self, candidates: Sequence[C], key: int | None) -> C:
        least = least_loaded(candidates, self._rng)
        if key is None or len(candidates) == 1:
            return least
        preferred = self.preferred(candidates, key)
        chosen = least if preferred.score() - least.score() > self.margin else preferred
        self._remember(key, chosen.address)
        return chosen

    def _remember(self, key: int, address: str) -> None:
        previous = self._last_served.get(key)
        if previous != address:
            if previous is not None:
                self._keys_at[previous] -= 1
            self._keys_at[address] += 1
            self._last_served[key] = address
        self._last_served.move_to_end(key)
        if len(self._last_served) > self._remembered:
            _, forgotten_at = self._last_served.popitem(last=False)
            self._keys_at[forgotten_at] -= 1
