"""What every HelixFlow gRPC server and client shares: options, health, reflection, shutdown."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from helixflow.common.errors import InvalidArgument
from helixflow.common.grpc_errors import ErrorInterceptor
from helixflow.common.logs import RequestIdInterceptor

MAX_MESSAGE_BYTES = 64 * 1024 * 1024

# Set explicitly: big enough for large Embed batches; keepalive
# pings find dead peers behind load balancers within ~30 s.
SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.so_reuseport", 0),
]

CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]

# Trailing metadata with the router's own time for a call, in ms (the bridge reads it).
ROUTER_MS_KEY = "x-helixflow-router-ms"
# Initial metadata of a Generate: the priority class it runs at after the key's cap
# ("low", "normal" or "high"), so a client learns what it got, not only what it asked.
PRIORITY_KEY = "x-helixflow-priority"
PRIORITY_LABELS = {1: "low", 2: "normal", 3: "high"}  # helixflow.v1.Priority, as that header and metric labels
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def new_server(
    interceptors: Iterable[grpc.aio.ServerInterceptor] = (), options: Iterable[tuple[str, int]] = ()
) -> grpc.aio.Server:
    """A grpc.aio server with our options (plus ``options``). The request-id binding runs
    outermost (so every later interceptor logs with it), the error interceptor innermost."""
    chain = [RequestIdInterceptor(), *interceptors, ErrorInterceptor()]
    extra = list(options)
    # An option given here replaces the shared one of the same name (grpc.so_reuseport).
    overridden = {name for name, _ in extra}
    shared = [(name, value) for name, value in SERVER_OPTIONS if name not in overridden]
    return grpc.aio.server(interceptors=chain, options=[*shared, *extra])


def bind(server: grpc.aio.Server, address: str, credentials: grpc.ServerCredentials | None) -> int:
    """Bind address (port 0 picks a free one); returns the port. None credentials mean plaintext."""
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if port == 0:
        raise InvalidArgument(f"cannot listen on {address}: address in use or invalid", field="listen")
    return port


class Health:
    """grpc.health.v1 as the README describes it: "" = live, a service name = ready."""

    def __init__(self, server: grpc.aio.Server, ready_services: Iterable[str]) -> None:
        self.servicer = HealthServicer()
        self._ready_services = tuple(ready_services)
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, server)

    async def live(self, alive: bool = True) -> None:
        """Mark the process live or dead (ready services stay as they are)."""
        await self.servicer.set("", SERVING if alive else NOT_SERVING)

    async def set_ready(self, ready: bool) -> None:
        """Mark every named service SERVING or NOT_SERVING."""
        status = SERVING if ready else NOT_SERVING
        for name in self._ready_services:
            await self.servicer.set(name, status)


def health_only_server(health: Health, address: str) -> tuple[grpc.aio.Server, int]:
    """A plaintext server answering only grpc.health.v1 from ``health``'s state.

    Kubelet's native gRPC probes cannot present client certificates, so they
    cannot reach an mTLS port; this listener gives them the same answers."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    health_pb2_grpc.add_HealthServicer_to_server(health.servicer, server)
    return server, bind(server, address, None)


def enable_reflection(server: grpc.aio.Server, service_names: Iterable[str]) -> None:
    """Serve grpc.reflection for the given full service names (and reflection itself)."""
    reflection.enable_server_reflection((*service_names, reflection.SERVICE_NAME), server)


def install_sigterm(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT so the caller can drain and exit."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
