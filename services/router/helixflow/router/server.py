"""Build the router: gRPC server (Inference + health + reflection), worker pool and discovery.

``create_server(settings)`` returns ``(server, port)`` so tests can bind port 0.
Auth, quotas, usage and caches (``helixflow.router.access``) are built from
``settings.access``: authentication runs as an interceptor after any given
``interceptors``, the access gate is the Inference servicer's, and the Admin
service is served next to Inference.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import grpc

from helixflow.common.errors import InvalidArgument
from helixflow.common.grpc_server import Health, bind, enable_reflection, new_server
from helixflow.common.tls import server_credentials
from helixflow.router.access.build import build_access
from helixflow.router.access.pricing import Pricing
from helixflow.router.access.usage.buckets import BucketStore, MemoryBuckets, RedisBuckets
from helixflow.router.config import RouterSettings
from helixflow.router.console.feeds import ConsoleFeeds
from helixflow.router.console.requests import RequestLog
from helixflow.router.discovery import Discovery
from helixflow.router.forwarding import Forwarder
from helixflow.router.policies import make_policy
from helixflow.router.pool import WorkerPool
from helixflow.router.routing import Router
from helixflow.router.servicer import InferenceServicer, add_to_server
from helixflow.router.worker_channels import ChannelFactory
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2

INFERENCE_SERVICE = inference_pb2.DESCRIPTOR.services_by_name["Inference"].full_name
ADMIN_SERVICE = admin_pb2.DESCRIPTOR.services_by_name["Admin"].full_name


class RouterServer:
    """The running router. ``stop`` drains: NOT_SERVING first, then lets streams finish."""

    def __init__(
        self,
        settings: RouterSettings,
        interceptors: Sequence[grpc.aio.ServerInterceptor],
    ) -> None:
        if settings.worker_tls is None:
            raise InvalidArgument(
                "set worker_tls (HELIXFLOW_ROUTER_WORKER_TLS__CA_FILE/CERT_FILE/KEY_FILE), "
                "or worker_tls__insecure=true for plaintext to workers",
                field="worker_tls",
            )
        channels = ChannelFactory(settings.worker_tls.files(), settings.worker_tls_name())
        self.settings = settings
        pricing = Pricing(settings.pricing, settings.fallbacks)
        self.access = build_access(settings.access, pricing)
        self.grpc = new_server([*interceptors, self.access.auth], settings.server_options())
        self.health = Health(self.grpc, [INFERENCE_SERVICE])
        self.pool = WorkerPool(
            channels,
            settings.worker_health_service,
            settings.load_report_interval_ms,
            self._on_change,
            close_grace_s=settings.max_request_s,
            tls_reload_s=settings.worker_tls_reload_s,
        )
        self.router = Router(self.pool, make_policy(settings), settings.model_aliases, settings.fallbacks)
        # Finished requests feed the usage buckets and the console's live list (Admin RPCs).
        buckets: BucketStore = RedisBuckets(self.access.redis) if self.access.redis is not None else MemoryBuckets()
        self.requests = RequestLog(buckets, pricing=pricing)
        self.access.admin.feeds = ConsoleFeeds(self.pool, self.router, self.requests, self.access.keys)
        self.discovery = Discovery(self.pool, settings.workers, settings.worker_dns, settings.dns_refresh_s)
        inference = InferenceServicer(
            self.router,
            self.access.gate,
            Forwarder(self.router, settings),
            settings.max_request_s,
            self.requests,
            pricing,
        )
        add_to_server(inference, self.grpc)
        admin_pb2_grpc.add_AdminServicer_to_server(self.access.admin, self.grpc)
        enable_reflection(self.grpc, [INFERENCE_SERVICE, ADMIN_SERVICE, "grpc.health.v1.Health"])
        own = settings.tls.files()
        self.port = bind(self.grpc, settings.listen, server_credentials(own) if own else None)
        self._draining = False
        self._health_tasks: set[asyncio.Task[None]] = set()

    def _on_change(self) -> None:
        # Ready while at least one worker can take requests.
        if self._draining:
            return
        task = asyncio.get_running_loop().create_task(self.health.set_ready(bool(self.pool.routable())))
        self._health_tasks.add(task)
        task.add_done_callback(self._health_tasks.discard)

    async def start(self) -> None:
        await self.health.live()
        await self.health.set_ready(False)
        await self.grpc.start()
        self.pool.start()
        await self.discovery.start()

    async def stop(self, grace: float | None = None) -> None:
        self._draining = True
        await self.health.set_ready(False)
        await self.discovery.stop()
        await self.grpc.stop(self.settings.drain_grace_s if grace is None else grace)
        await self.pool.close()
        await self.access.close()
        for task in list(self._health_tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_for_termination(self) -> None:
        await self.grpc.wait_for_termination()


def create_server(
    settings: RouterSettings,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
) -> tuple[RouterServer, int]:
    server = RouterServer(settings, interceptors)
    return server, server.port
