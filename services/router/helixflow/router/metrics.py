"""Prometheus metrics of the router (default registry; served on ``metrics_port``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ROUTER_MS = Histogram(
    "helixflow_router_overhead_ms",
    "Time spent inside the router per call (total minus time waiting on the worker), ms",
    ["method"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250),
)
INFLIGHT = Gauge("helixflow_router_inflight_requests", "Calls in flight per worker", ["worker"])
ERRORS = Counter("helixflow_router_errors_total", "Calls ended with an error, by status", ["method", "code"])
GENERATE_BY_PRIORITY = Counter(
    "helixflow_router_generate_requests_total",
    "Generate calls admitted, by the priority they run at (after the key's cap)",
    ["priority"],
)
RETRIES = Counter("helixflow_router_retries_total", "Calls retried on another worker", ["method", "code"])
ATTEMPTS = Counter(
    "helixflow_router_attempts_total",
    "Targets tried for fallback-chain calls, by requested alias, target model and outcome (OK or status code)",
    ["model", "target", "outcome"],
)
