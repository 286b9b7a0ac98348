"""The bridge's channel to the router: with round_robin it spreads calls over every address
the target resolves to (Kubernetes: a headless Service, one address per router pod);
pick_first, the default, pins them to one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.rest_bridge.client import RouterClient
from helixflow.rest_bridge.config import BridgeSettings


class CountingHealth(health_pb2_grpc.HealthServicer):  # type: ignore[misc]
    def __init__(self) -> None:
        self.checks = 0

    async def Check(
        self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> health_pb2.HealthCheckResponse:
        self.checks += 1
        return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)


@pytest.fixture
async def routers() -> AsyncIterator[tuple[str, list[CountingHealth]]]:
    """Two stand-in routers and one target naming both (what DNS returns for a headless Service)."""
    servers, counters, ports = [], [], []
    for _ in range(2):
        server = grpc.aio.server()
        counter = CountingHealth()
        health_pb2_grpc.add_HealthServicer_to_server(counter, server)
        ports.append(server.add_insecure_port("127.0.0.1:0"))
        await server.start()
        servers.append(server)
        counters.append(counter)
    try:
        yield "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports), counters
    finally:
        for server in servers:
            await server.stop(None)


@pytest.mark.parametrize("policy", ["round_robin", "pick_first"])
async def test_lb_policy_decides_the_spread(
    routers: tuple[str, list[CountingHealth]], policy: Literal["round_robin", "pick_first"]
) -> None:
    target, counters = routers
    client = RouterClient(BridgeSettings(router_address=target, router_lb_policy=policy))
    try:
        if policy == "round_robin":
            # Until both connections are up, calls go to the one that is; then it alternates.
            for _ in range(500):
                if all(c.checks for c in counters):
                    break
                assert await client.router_ready()
            for counter in counters:
                counter.checks = 0
        for _ in range(20):
            assert await client.router_ready()
    finally:
        await client.close()
    counts = sorted(c.checks for c in counters)
    assert counts == ([10, 10] if policy == "round_robin" else [0, 20])


def test_lb_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="router_lb_policy"):
        BridgeSettings.model_validate({"router_lb_policy": "random"})
