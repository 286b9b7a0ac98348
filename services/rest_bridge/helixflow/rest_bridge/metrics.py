"""Prometheus metrics for the bridge, in a registry per app (tests build many apps)."""

from __future__ import annotations

from fastapi import Request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response


class BridgeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "helixflow_bridge_requests_total",
            "Completed-header requests by route",
            ["route"],
            registry=self.registry,
        )
        self.overhead = Histogram(
            "helixflow_bridge_overhead_seconds",
            "Time spent in bridge and router (header-time figure for streams)",
            ["route"],
            buckets=(0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1),
            registry=self.registry,
        )

    def observe(self, request: Request, overhead_ms: str) -> None:
        route = request.scope["path"]  # what request.url.path gives for these routes, without building the URL
        self.requests.labels(route).inc()
        self.overhead.labels(route).observe(float(overhead_ms) / 1000)

    def response(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
