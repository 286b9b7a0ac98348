"""Cache hit/miss counters, shared by both caches."""

from __future__ import annotations

from prometheus_client import Counter

CACHE_LOOKUPS = Counter(
    "helixflow_cache_lookups_total",
    "Cache lookups by cache and result (hit, miss, bypass).",
    ["cache", "result"],
)
