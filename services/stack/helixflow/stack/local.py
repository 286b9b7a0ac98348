"""A whole local HelixFlow on one event loop: N workers, the router, the bridge.

One process and one event loop (not separate processes) because on loopback it
is simpler, starts faster and shuts down in a known order; the engines decode
in their own threads, so the loop only moves bytes. Router <-> workers use
mutual TLS with freshly generated dev certificates, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.common.certs import init_dev_pki
from helixflow.common.config import TlsSettings
from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.rest_bridge.app import create_app
from helixflow.rest_bridge.config import BridgeSettings
from helixflow.router.access_settings import AccessSettings
from helixflow.router.config import RouterSettings
from helixflow.router.server import INFERENCE_SERVICE, RouterServer
from helixflow.router.server import create_server as create_router
from helixflow.worker.config import Backend, WorkerSettings
from helixflow.worker.server import WorkerServer
from helixflow.worker.server import create_server as create_worker


@dataclass
class StackOptions:
    workers: int = 1
    backend: Backend = "llama_cpp"
    model_path: Path | None = None
    model_id: str = "gemma-3-270m"
    router_port: int = 50051
    bridge_port: int = 8080
    certs_dir: Path = Path(".dev/certs")
    drain_grace_s: float = 5.0
    # Local dev defaults to no auth; `helixflow up` says so when it starts.
    auth: bool = False


def _tls(files: Any) -> TlsSettings:
    return TlsSettings(ca_file=files.ca_file, cert_file=files.cert_file, key_file=files.key_file)


Step = Callable[[str], None]


class _NoSignalServer(uvicorn.Server):
    """uvicorn without its own signal handlers: ``helixflow up`` owns Ctrl-C and stops everything."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class LocalStack:
    """Start with ``await start()``; ``await stop()`` drains bridge, router, then workers."""

    options: StackOptions
    workers: list[WorkerServer] = field(default_factory=list)
    router: RouterServer | None = None
    router_port: int = 0
    bridge_port: int = 0
    _bridge: uvicorn.Server | None = None
    _bridge_task: asyncio.Task[None] | None = None

    @property
    def router_address(self) -> str:
        return f"127.0.0.1:{self.router_port}"

    @property
    def bridge_url(self) -> str:
        return f"http://127.0.0.1:{self.bridge_port}"

    async def start(self, step: Step = lambda _: None) -> None:
        opts = self.options
        pki = init_dev_pki(opts.certs_dir)
        step("certificates")
        for _ in range(opts.workers):
            settings = WorkerSettings.model_validate(
                {
                    "listen": "127.0.0.1:0",
                    "tls": _tls(pki["worker"]),
                    "backend": opts.backend,
                    "model_id": opts.model_id,
                    "model_path": opts.model_path,
                    "metrics_port": 0,
                    "drain_grace_s": opts.drain_grace_s,
                }
            )
            worker, _ = create_worker(settings)
            self.workers.append(worker)
        # Workers load their models concurrently (each decodes in its own thread).
        await asyncio.gather(*(w.start() for w in self.workers))
        step("model")
        router_settings = RouterSettings(
            listen=f"127.0.0.1:{opts.router_port}",
            worker_tls=_tls(pki["router"]),
            workers=[f"127.0.0.1:{w.port}" for w in self.workers],
            metrics_port=0,
            drain_grace_s=opts.drain_grace_s,
            access=AccessSettings(auth_enabled=opts.auth, key_db_path=opts.certs_dir / "keys.sqlite3"),
        )
        self.router, self.router_port = create_router(router_settings)
        await self.router.start()
        await _wait_serving(self.router_address)
        step("router")
        bridge_settings = BridgeSettings(router_address=self.router_address, port=opts.bridge_port)
        config = uvicorn.Config(
            create_app(bridge_settings), host="127.0.0.1", port=opts.bridge_port, log_level="warning", lifespan="on"
        )
        self._bridge = _NoSignalServer(config)
        self._bridge_task = asyncio.create_task(self._bridge.serve())
        while not self._bridge.started:  # uvicorn offers no started event
            if self._bridge_task.done():
                self._bridge_task.result()
                raise RuntimeError("bridge exited during start-up")
            await asyncio.sleep(0.01)
        self.bridge_port = self._bridge.servers[0].sockets[0].getsockname()[1]
        step("bridge")

    async def stop(self) -> None:
        """Bridge first (no new HTTP work), then router, then workers, each draining."""
        if self._bridge is not None and self._bridge_task is not None:
            self._bridge.should_exit = True
            await self._bridge_task
        if self.router is not None:
            await self.router.stop()
        await asyncio.gather(*(w.stop() for w in self.workers))


async def _wait_serving(address: str) -> None:
    """Block on the router's health Watch until Inference is SERVING (a worker is ready)."""
    async with grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        request = health_pb2.HealthCheckRequest(service=INFERENCE_SERVICE)
        with contextlib.suppress(grpc.aio.AioRpcError):
            async for reply in stub.Watch(request, timeout=120):
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        raise RuntimeError(f"router at {address} never became ready")
