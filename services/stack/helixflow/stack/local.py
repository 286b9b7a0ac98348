"""A whole local HelixFlow: N supervised worker processes, the router and the bridge.

Each worker runs in its own child process (``supervisor.py``): a native crash in
an engine ends that process only, and the supervisor starts it again. One router
and one bridge share this process's event loop: they are pure Python, start fast
and shut down in a known order. Several of either (``router_processes``,
``bridge_processes``; ``front_door.py`` has the rule ``helixflow up`` picks them
by) run as child processes on one port each. Router <-> workers use mutual TLS with freshly generated
dev certificates, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
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
from helixflow.router.access.settings import AccessSettings
from helixflow.router.config import RouterSettings
from helixflow.router.server import INFERENCE_SERVICE, RouterServer
from helixflow.router.server import create_server as create_router
from helixflow.stack.front_door import ProcessGroup, wait_http_ready
from helixflow.stack.supervisor import Report, WorkerProcess, WorkerSpec
from helixflow.worker.config import Backend
from helixflow.worker.extra_buffers import ExtraBuffers


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
    extra_buffer_types: ExtraBuffers = "auto"
    # Decode threads per worker; None splits the machine's cores between the workers.
    threads_per_worker: int | None = None
    # More HELIXFLOW_WORKER_* settings for every worker, without the prefix (e.g. MAX_SEQUENCES).
    worker_env: Mapping[str, str] = field(default_factory=dict)
    # Where the supervisor's lines go (worker ready, died, restarting).
    report: Report = print
    # Router and bridge processes: 1 runs in this process's event loop, more run as
    # `helixflow router/bridge --processes N` children (``helixflow.stack.front_door``).
    router_processes: int = 1
    bridge_processes: int = 1

    def worker_threads(self) -> int:
        return self.threads_per_worker or max(1, (os.cpu_count() or 1) // self.workers)


def _tls(files: Any) -> TlsSettings:
    return TlsSettings(ca_file=files.ca_file, cert_file=files.cert_file, key_file=files.key_file)


def _free_port() -> int:
    return _free_ports(1)[0]


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports. Every socket stays bound until all are
    picked: a port released at once can come back from the next pick, and two workers
    then race for one port (a CI run's worker found its health port taken)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def _worker_env(opts: StackOptions, files: Any, port: int, health_port: int) -> dict[str, str]:
    settings = {
        "LISTEN": f"127.0.0.1:{port}",
        "HEALTH_LISTEN": f"127.0.0.1:{health_port}",
        "TLS__CA_FILE": str(files.ca_file),
        "TLS__CERT_FILE": str(files.cert_file),
        "TLS__KEY_FILE": str(files.key_file),
        "BACKEND": opts.backend,
        "MODEL_ID": opts.model_id,
        "LLAMA__N_THREADS": str(opts.worker_threads()),
        "LLAMA__EXTRA_BUFFER_TYPES": opts.extra_buffer_types,
        "METRICS_PORT": "0",
        "DRAIN_GRACE_S": str(opts.drain_grace_s),
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "warning",
        **({"MODEL_PATH": str(opts.model_path)} if opts.model_path is not None else {}),
        **opts.worker_env,
    }
    env = {f"HELIXFLOW_WORKER_{key}": value for key, value in settings.items()}
    # The child imports what this process imports (a source checkout, tests' paths).
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


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
    workers: list[WorkerProcess] = field(default_factory=list)
    router: RouterServer | None = None
    router_port: int = 0
    bridge_port: int = 0
    _bridge: uvicorn.Server | None = None
    _bridge_task: asyncio.Task[None] | None = None
    groups: list[ProcessGroup] = field(default_factory=list)

    @property
    def router_address(self) -> str:
        return f"127.0.0.1:{self.router_port}"

    @property
    def bridge_url(self) -> str:
        return f"http://127.0.0.1:{self.bridge_port}"

    async def start(self, step: Step = lambda _: None) -> None:
        """Start everything, or stop what did start (no child left behind) and raise."""
        try:
            await self._start(step)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, step: Step) -> None:
        opts = self.options
        pki = init_dev_pki(opts.certs_dir)
        step("certificates")
        ports = iter(_free_ports(2 * opts.workers))
        for index in range(1, opts.workers + 1):
            port, health_port = next(ports), next(ports)
            spec = WorkerSpec(index, port, health_port, _worker_env(opts, pki["worker"], port, health_port))
            self.workers.append(WorkerProcess(spec, opts.report, drain_grace_s=opts.drain_grace_s))
        # Workers load their models concurrently, each in its own process; one that
        # fails to start cancels the others' start (stop() then ends their processes).
        try:
            async with asyncio.TaskGroup() as group:
                for worker in self.workers:
                    group.create_task(worker.start())
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        step("model")
        if opts.router_processes > 1:
            await self._start_router_group(pki["router"])
        else:
            await self._start_router(pki["router"])
        step("router")
        if opts.bridge_processes > 1:
            await self._start_bridge_group()
        else:
            await self._start_bridge()
        step("bridge")

    async def _start_router(self, files: Any) -> None:
        opts = self.options
        router_settings = RouterSettings(
            listen=f"127.0.0.1:{opts.router_port}",
            worker_tls=_tls(files),
            workers=[w.spec.address for w in self.workers],
            metrics_port=0,
            drain_grace_s=opts.drain_grace_s,
            access=AccessSettings(auth_enabled=opts.auth, key_db_path=opts.certs_dir / "keys.sqlite3"),
        )
        self.router, self.router_port = create_router(router_settings)
        await self.router.start()
        await _wait_serving(self.router_address)

    async def _start_bridge(self) -> None:
        opts = self.options
        bridge_settings = BridgeSettings(
            router_address=self.router_address,
            port=opts.bridge_port,
            responses_db_path=opts.certs_dir / "responses.sqlite3",
        )
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

    async def _start_router_group(self, files: Any) -> None:
        opts = self.options
        self.router_port = opts.router_port or _free_port()
        settings = {
            "LISTEN": self.router_address,
            "WORKERS": ",".join(w.spec.address for w in self.workers),
            "WORKER_TLS__CA_FILE": str(files.ca_file),
            "WORKER_TLS__CERT_FILE": str(files.cert_file),
            "WORKER_TLS__KEY_FILE": str(files.key_file),
            "METRICS_PORT": "0",
            "DRAIN_GRACE_S": str(opts.drain_grace_s),
            "ACCESS__AUTH_ENABLED": str(opts.auth).lower(),
            "ACCESS__KEY_DB_PATH": str(opts.certs_dir / "keys.sqlite3"),
        }
        argv = ["router", "--processes", str(opts.router_processes), "--log-format", "text"]
        env = {f"HELIXFLOW_ROUTER_{key}": value for key, value in settings.items()}
        group = ProcessGroup("router", argv, env, opts.report)
        self.groups.append(group)
        await group.start()
        deadline = asyncio.get_running_loop().time() + 120
        while True:  # until the processes listen; then until a worker is ready
            group.check()
            try:
                await _wait_serving(self.router_address)
                return
            except RuntimeError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
            await asyncio.sleep(0.2)  # a start-up poll: another process offers no event to await

    async def _start_bridge_group(self) -> None:
        opts = self.options
        self.bridge_port = opts.bridge_port or _free_port()
        argv = ["bridge", "--processes", str(opts.bridge_processes), "--port", str(self.bridge_port)]
        argv += ["--router", self.router_address, "--log-format", "text"]
        # The processes share one stored-responses file (SQLite WAL), as the in-process bridge uses.
        env = {"HELIXFLOW_BRIDGE_RESPONSES_DB_PATH": str(opts.certs_dir / "responses.sqlite3")}
        group = ProcessGroup("bridge", argv, env, opts.report)
        self.groups.append(group)
        await group.start()
        await wait_http_ready(f"{self.bridge_url}/healthz", group)

    async def stop(self) -> None:
        """Bridge first (no new HTTP work), then router, then workers, each draining; no child outlives it."""
        if self._bridge is not None and self._bridge_task is not None:
            self._bridge.should_exit = True
            await self._bridge_task
        for group in reversed(self.groups):  # the bridge's first, as in-process
            await group.stop(self.options.drain_grace_s)
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
