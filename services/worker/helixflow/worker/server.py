"""Worker process: gRPC server, health, reflection, metrics and graceful drain."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import grpc

from helixflow.common import grpc_server
from helixflow.common.tls import server_credentials
from helixflow.v1 import worker_pb2, worker_pb2_grpc
from helixflow.worker.backends import make_engine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import Engine
from helixflow.worker.metrics import WorkerMetrics
from helixflow.worker.servicer import WorkerServicer
from helixflow.worker.warmup import warm_up

log = logging.getLogger(__name__)
SERVICE_NAME = worker_pb2.DESCRIPTOR.services_by_name["Worker"].full_name


class WorkerServer:
    """A started-on-demand worker. ``start`` serves health at once and turns
    ready after the engine loads; ``stop`` drains before it closes."""

    def __init__(self, settings: WorkerSettings, engine: Engine, owns_engine: bool) -> None:
        self.settings = settings
        self.engine = engine
        self._owns_engine = owns_engine
        self.metrics = WorkerMetrics(settings.model_id, engine.load_report)
        self.servicer = WorkerServicer(engine, self.metrics, settings.load_report_ms, settings.stream_interval_ms)
        self.grpc = grpc_server.new_server()
        worker_pb2_grpc.add_WorkerServicer_to_server(self.servicer, self.grpc)
        self.health = grpc_server.Health(self.grpc, [SERVICE_NAME])
        grpc_server.enable_reflection(self.grpc, [SERVICE_NAME])
        files = settings.tls.require("worker")
        credentials = server_credentials(files) if files else None
        self.port = grpc_server.bind(self.grpc, settings.listen, credentials)
        self.health_grpc: grpc.aio.Server | None = None
        self.health_port = 0
        self._watchdog: asyncio.Task[None] | None = None
        if settings.health_listen:
            self.health_grpc, self.health_port = grpc_server.health_only_server(self.health, settings.health_listen)

    async def start(self) -> None:
        """Listen, report live (not ready), load the engine, warm it up, then report ready."""
        await self.grpc.start()
        if self.health_grpc is not None:
            await self.health_grpc.start()
        await self.health.live()
        await self.health.set_ready(False)
        if self.settings.metrics_port:
            self.metrics.serve(self.settings.metrics_port)
        await self.engine.load()
        info = self.engine.info()
        for name, value in info.engine_options.items():
            log.info("engine option %s: %s", name, value)
        if self.settings.warmup:
            await warm_up(self.engine)
        await self.health.set_ready(True)
        self._watchdog = asyncio.create_task(self._watch_engine(), name="engine watchdog")
        log.info("worker ready on port %d serving %s", self.port, info.model_id)

    async def _watch_engine(self) -> None:
        """Liveness follows the engine: a dead decode loop or engine process turns "" and the
        ready service NOT_SERVING, so kubelet restarts the pod (and the router stops routing)."""
        # A polled check: a native decode thread or an engine process offers no event to await.
        while True:
            await asyncio.sleep(self.settings.liveness_check_s)
            if not self.engine.alive():
                break
        log.error("the engine is no longer running; reporting not live")
        await self.health.set_ready(False)
        await self.health.live(False)

    async def stop(self, grace: float | None = None) -> None:
        """Drain: refuse new work, let open streams finish within grace, then close."""
        grace = self.settings.drain_grace_s if grace is None else grace
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.servicer.draining = True
        await self.health.set_ready(False)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.servicer.in_flight.wait_idle(), timeout=grace)
        await self.grpc.stop(grace=1.0)
        if self.health_grpc is not None:
            await self.health_grpc.stop(grace=None)
        if self._owns_engine:
            await self.engine.close()


def create_server(settings: WorkerSettings, engine: Engine | None = None) -> tuple[WorkerServer, int]:
    """Build a worker (call inside a running event loop). Pass ``engine`` to share a loaded one."""
    owns = engine is None
    server = WorkerServer(settings, engine if engine is not None else make_engine(settings), owns_engine=owns)
    return server, server.port


async def serve(settings: WorkerSettings) -> None:
    """Run until SIGTERM/SIGINT, then drain."""
    stop = asyncio.Event()
    grpc_server.install_sigterm(stop)
    server, port = create_server(settings)
    await server.start()
    await stop.wait()
    log.info("draining worker on port %d", port)
    await server.stop()
