"""The bridge's gRPC channel to the router, and the metadata it forwards."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from starlette.datastructures import Headers

from helixflow.common import logs, tracing
from helixflow.common.grpc_server import CHANNEL_OPTIONS, PRIORITY_KEY, ROUTER_MS_KEY
from helixflow.common.tls import channel_credentials
from helixflow.rest_bridge.config import BridgeSettings
from helixflow.v1 import inference_pb2, inference_pb2_grpc

# The router reports under this health service name whether a worker is ready.
INFERENCE_SERVICE = inference_pb2.DESCRIPTOR.services_by_name["Inference"].full_name
# Headers passed through to the router: credentials and tenant. The request id is
# the one RequestIdMiddleware bound (the caller's or a new one).
_FORWARDED = ("authorization", "x-helixflow-tenant")

Metadata = tuple[tuple[str, str], ...]


def open_channel(settings: BridgeSettings) -> grpc.aio.Channel:
    """Plaintext, server-auth TLS or mTLS to the router, as configured."""
    options: list[tuple[str, int | str]] = [*CHANNEL_OPTIONS, ("grpc.lb_policy_name", settings.router_lb_policy)]
    if settings.router_server_name:
        options.append(("grpc.ssl_target_name_override", settings.router_server_name))
    files = settings.router_tls()
    if files is not None:
        return grpc.aio.secure_channel(settings.router_address, channel_credentials(files), options=options)
    if settings.router_ca_file is not None:
        creds = grpc.ssl_channel_credentials(root_certificates=settings.router_ca_file.read_bytes())
        return grpc.aio.secure_channel(settings.router_address, creds, options=options)
    return grpc.aio.insecure_channel(settings.router_address, options=options)


def forward_metadata(headers: Headers) -> Metadata:
    """The caller's credentials go to the router untouched; the bridge holds no secrets."""
    passed = tuple((name, value) for name in _FORWARDED if (value := headers.get(name)) is not None)
    if "authorization" not in headers and (api_key := headers.get("x-api-key")) is not None:
        passed += (("authorization", f"Bearer {api_key}"),)  # Anthropic's SDKs send the key in x-api-key
    return passed + logs.outgoing_metadata() + tracing.inject()


def router_ms(metadata: grpc.aio.Metadata | None) -> float:
    """The router's own time for a call, as it reports it (0 when absent or unparsable)."""
    if metadata is None:
        return 0.0
    for key, value in metadata:
        if key == ROUTER_MS_KEY:
            try:
                return float(value)
            except (TypeError, ValueError):
                return 0.0
    return 0.0


def priority(metadata: grpc.aio.Metadata | None) -> str | None:
    """The priority class the router ran a Generate at ("low", "normal", "high"), if it said."""
    value = dict(metadata or ()).get(PRIORITY_KEY)
    return value if isinstance(value, str) else None


class RouterClient:
    """Holds the channel and the Inference stub for the app's lifetime."""

    def __init__(self, settings: BridgeSettings) -> None:
        self.channel = open_channel(settings)
        self.stub = inference_pb2_grpc.InferenceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.timeout_s = settings.request_timeout_s

    async def router_ready(self) -> bool:
        """The router's own readiness (gRPC health, open without credentials): a worker serves."""
        request = health_pb2.HealthCheckRequest(service=INFERENCE_SERVICE)
        try:
            reply = await self.health.Check(request, timeout=5)
        except grpc.aio.AioRpcError:
            return False
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    async def close(self) -> None:
        await self.channel.close(grace=None)
