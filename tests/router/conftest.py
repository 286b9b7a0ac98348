"""Real worker servers and a real router over real mTLS, all on loopback.

Workers run the benchmark-only fake engine: these tests are about routing,
failover and cancellation, where a real model adds nothing but minutes.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest

from helixflow.common.tls import TlsFiles
from helixflow.router.config import RouterSettings
from helixflow.router.server import RouterServer, create_server
from helixflow.v1 import inference_pb2_grpc
from helixflow.worker.backends.fake import FakeEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import Event, GenerationRequest
from helixflow.worker.server import WorkerServer
from helixflow.worker.server import create_server as create_worker
from tests.conftest import tls_settings

ROOT = Path(__file__).resolve().parents[2]


class CountingEngine(FakeEngine):
    """The fake engine, counting the generations it started."""

    def __init__(self, model_id: str = "fake", token_delay_s: float = 0.0) -> None:
        super().__init__(model_id, token_delay_s=token_delay_s)
        self.started = 0

    async def generate(self, request: GenerationRequest) -> Any:
        self.started += 1
        async for event in super().generate(request):
            yield event

    @property
    def running(self) -> int:
        return len(self._running)


@asynccontextmanager
async def worker(
    pki: dict[str, TlsFiles],
    engine: FakeEngine,
    model_id: str = "fake",
    aliases: list[str] | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[WorkerServer, str]]:
    settings = WorkerSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": tls_settings(pki["worker"]),
            "backend": "fake",
            "model_id": model_id,
            "aliases": aliases or [],
            "metrics_port": 0,
            "load_report_ms": 50,
            # Tests count the engine's generations exactly; a warm-up would be one more.
            "warmup": False,
            **overrides,
        }
    )
    server, port = create_worker(settings, engine)
    await server.start()
    try:
        yield server, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@asynccontextmanager
async def router(
    pki: dict[str, TlsFiles], workers: list[str], **overrides: Any
) -> AsyncIterator[tuple[RouterServer, inference_pb2_grpc.InferenceAsyncStub]]:
    settings = RouterSettings(
        listen="127.0.0.1:0",
        worker_tls=tls_settings(pki["router"]),
        workers=workers,
        metrics_port=0,
        load_report_interval_ms=50,
        **{"access": {"auth_enabled": False}, **overrides},
    )
    server, port = create_server(settings)
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        await wait_for(lambda: len(server.pool.routable()) == len(workers))
        yield server, inference_pb2_grpc.InferenceStub(channel)
    finally:
        await channel.close()
        await server.stop(0)


async def wait_for(cond: Any, limit_s: float = 20.0) -> None:
    """Wait for a condition the system reaches on its own (a safety net, not a timing claim)."""
    async with asyncio.timeout(limit_s):
        while not cond():  # noqa: ASYNC110 -- the conditions live in other objects; no event to wait on
            await asyncio.sleep(0.02)


class WorkerProcess:
    """The worker in a child process (tests/router/worker_proc.py)."""

    def __init__(self, pki_dir: Path, port: int, delay: float, model: str = "fake") -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            str(ROOT / p) for p in ("gen/python", "services/common", "services/worker", "services/router")
        )}  # fmt: skip
        script = str(Path(__file__).with_name("worker_proc.py"))
        self.proc = subprocess.Popen(
            [sys.executable, script, str(pki_dir), str(port), str(delay), model],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.address = f"127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


@pytest.fixture
def worker_process(pki: dict[str, TlsFiles]) -> Iterator[Any]:
    made: list[WorkerProcess] = []

    def start(port: int = 0, delay: float = 0.02, model: str = "fake") -> WorkerProcess:
        p = WorkerProcess(pki["worker"].ca_file.parent, port, delay, model)
        made.append(p)
        return p

    yield start
    for p in made:
        if p.proc.poll() is None:
            p.kill()


__all__ = ["CountingEngine", "Event", "router", "wait_for", "worker"]
