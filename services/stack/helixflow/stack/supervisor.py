"""Worker child processes for ``helixflow up``: started, watched, restarted with backoff.

A native engine can die without a Python exception (a segfault in a CPU kernel, an
out-of-memory kill). Each worker therefore runs in its own process. The router and
the bridge, in the parent, see a lost worker as a lost connection: failover before
the first token, an explicit UNAVAILABLE after it. The supervisor reports the death
with its signal and starts the worker again on the same port, so the router's
health watch takes it back into rotation as soon as it is ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.common.grpc_server import CHANNEL_OPTIONS, SERVING
from helixflow.stack.worker_process import PARENT_PID_ENV
from helixflow.worker.server import SERVICE_NAME as WORKER_SERVICE

log = logging.getLogger(__name__)

# Restart delays: doubling from the first, capped; reset once a worker has stayed up this long.
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 10.0
STABLE_AFTER_S = 30.0
# A worker that does not get ready in this long (model load plus warm-up) counts as failed.
START_TIMEOUT_S = 300.0

Report = Callable[[str], None]


class WorkerStartError(RuntimeError):
    """A worker process exited, or never got ready, while starting."""


def describe_exit(returncode: int) -> str:
    """``SIGSEGV (signal 11)`` for a signal, ``exit code 3`` otherwise."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"{signal.Signals(-returncode).name} (signal {-returncode})"
        return f"signal {-returncode}"
    return f"exit code {returncode}"


@dataclass
class WorkerSpec:
    """How to start one worker: its ports stay fixed across restarts (the router's list)."""

    index: int
    port: int
    health_port: int
    env: Mapping[str, str]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class WorkerProcess:
    """One supervised worker. ``start`` waits for its first readiness; ``supervise``
    restarts it whenever it dies; ``stop`` drains it (SIGTERM), then kills it."""

    spec: WorkerSpec
    report: Report
    drain_grace_s: float = 5.0
    first_backoff_s: float = FIRST_BACKOFF_S
    restarts: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _proc: asyncio.subprocess.Process | None = None
    _stopping: bool = False
    _task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"worker {self.spec.index}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.returncode is None else None

    async def start(self) -> None:
        """Spawn and wait until ready; a death before that raises ``WorkerStartError``."""
        await self._spawn_until_ready()
        self._task = asyncio.create_task(self._supervise(), name=self.name)

    async def _spawn_until_ready(self) -> None:
        self.ready.clear()
        env = {**os.environ, **self.spec.env, PARENT_PID_ENV: str(os.getpid())}
        # Its own session: a Ctrl-C in the terminal reaches `helixflow up` only, which then
        # stops the workers in order (after the bridge and the router).
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helixflow.stack.worker_process", env=env, start_new_session=True
        )
        exited = asyncio.create_task(self._proc.wait())
        serving = asyncio.create_task(_until_serving(f"127.0.0.1:{self.spec.health_port}"))
        try:
            done, _ = await asyncio.wait({exited, serving}, timeout=START_TIMEOUT_S, return_when="FIRST_COMPLETED")
        finally:
            serving.cancel()
            if not exited.done():
                exited.cancel()
        if serving in done and not exited.done():
            self.ready.set()
            self.report(f"{self.name} ready (pid {self._proc.pid}, {self.spec.address})")
            return
        if exited in done:
            raise WorkerStartError(
                f"{self.name} exited with {describe_exit(exited.result())} before it was ready "
                "(while loading the model or during its warm-up decode)"
            )
        self._proc.kill()
        await self._proc.wait()
        raise WorkerStartError(f"{self.name} was not ready after {START_TIMEOUT_S:.0f} s")

    async def _supervise(self) -> None:
        backoff = self.first_backoff_s
        while True:
            assert self._proc is not None
            up_since = time.monotonic()
            returncode = await self._proc.wait()
            self.ready.clear()
            if self._stopping:
                return
            if time.monotonic() - up_since >= STABLE_AFTER_S:
                backoff = self.first_backoff_s
            while True:
                self.report(
                    f"{self.name} (pid {self._proc.pid}) died: {describe_exit(returncode)}; "
                    f"restarting in {backoff:.1f} s"
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                if self._stopping:
                    return
                try:
                    await self._spawn_until_ready()
                except WorkerStartError as err:
                    self.report(str(err))
                    returncode = self._proc.returncode if self._proc.returncode is not None else -signal.SIGKILL
                    continue
                self.restarts += 1
                break

    async def stop(self) -> None:
        """SIGTERM (the worker drains within its grace), then SIGKILL if it overstays."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=self.drain_grace_s + 10)
        except TimeoutError:
            self.report(f"{self.name} (pid {proc.pid}) did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def _until_serving(address: str) -> None:
    """Follow the worker's plaintext health listener until its Worker service is SERVING."""
    request = health_pb2.HealthCheckRequest(service=WORKER_SERVICE)
    while True:
        async with grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            with contextlib.suppress(grpc.aio.AioRpcError):
                async for reply in stub.Watch(request, wait_for_ready=True):
                    if reply.status == SERVING:
                        return
        await asyncio.sleep(0.1)
