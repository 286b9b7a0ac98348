"""The router's live view of its workers: one mTLS channel each, kept current by
gRPC health (membership), Info (models served) and WatchLoad (queue depth, KV use).

A worker is routable when its health says SERVING, its load report does not say
draining, and no call failed on it with UNAVAILABLE in the last ``SUSPECT_S``.
Channels reconnect with short backoff so a worker that comes back is used again
within about a second.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Iterable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from helixflow.router import metrics
from helixflow.router.worker_channels import ChannelFactory
from helixflow.v1 import worker_pb2, worker_pb2_grpc

log = logging.getLogger(__name__)

# A worker that just failed a call is skipped this long unless health says otherwise sooner.
SUSPECT_S = 1.0
# Pause between attempts to re-open a broken health watch.
REWATCH_S = 0.2
# How often the pool looks for rotated client certificate files.
TLS_RELOAD_S = 5.0
# Worker objects per address that may still count calls in its metric series.
_HOLDERS: collections.Counter[str] = collections.Counter()


class Worker:
    """One worker as the router sees it. ``inflight`` is exact: the router counts its own calls."""

    __slots__ = (
        "_tasks",
        "address",
        "channel",
        "counted",
        "inflight",
        "info",
        "load",
        "others",
        "removed",
        "served",
        "serving",
        "stub",
        "suspect_until",
    )

    def __init__(self, address: str, channel: grpc.aio.Channel) -> None:
        self.address = address
        self.channel = channel
        self.stub = worker_pb2_grpc.WorkerStub(channel)
        self.info: worker_pb2.InfoResponse | None = None
        self.load = worker_pb2.WatchLoadResponse()
        self.serving = False
        self.suspect_until = 0.0
        self.inflight = 0
        self.others = 0  # requests at the worker that are not ours (other routers), from its report
        self.served = 0  # calls sent here, for tests and debugging
        self.removed = False  # left discovery; its metric series goes when its last call ends
        self.counted = True  # holds a share of the address's metric series
        _HOLDERS[address] += 1
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def model_id(self) -> str:
        return self.info.model_id if self.info is not None else ""

    def routable(self, now: float) -> bool:
        return self.serving and self.info is not None and not self.load.draining and now >= self.suspect_until

    def observe(self, report: worker_pb2.WatchLoadResponse) -> None:
        """Take a load report. Our in-flight count is exact and current; a report is up to
        one interval old, so it only adds what it shows beyond our count (other routers)."""
        self.load = report
        self.others = max(0, report.waiting + report.running - self.inflight)

    def score(self) -> float:
        """Load used by the policies: requests queued or running (ours, exact, plus other
        routers' from the last report), plus KV use as a tie-breaker."""
        return self.inflight + self.others + float(self.load.kv_cache_usage)

    def acquire(self) -> None:
        self.inflight += 1
        self.served += 1
        metrics.INFLIGHT.labels(self.address).inc()

    def release(self) -> None:
        self.inflight -= 1
        metrics.INFLIGHT.labels(self.address).dec()
        if self.removed:
            self.drop_series()

    def drop_series(self) -> None:
        """Once a removed worker's last call ends, forget its in-flight series (pod IPs come
        and go; a series per past pod would grow without end), unless a newer Worker holds
        the same address."""
        if self.inflight != 0 or not self.counted:
            return
        self.counted = False
        _HOLDERS[self.address] -= 1
        if _HOLDERS[self.address] <= 0:
            del _HOLDERS[self.address]
            with contextlib.suppress(KeyError):
                metrics.INFLIGHT.remove(self.address)

    def mark_failed(self) -> None:
        """Skip this worker briefly after a transport failure; health re-admits it."""
        self.suspect_until = time.monotonic() + SUSPECT_S


class WorkerPool:
    """Workers by address. ``sync`` adds and removes them as discovery reports."""

    def __init__(
        self,
        channels: ChannelFactory,
        health_service: str,
        load_interval_ms: int,
        on_change: Callable[[], None] | None = None,
        close_grace_s: float = 600.0,
        tls_reload_s: float = TLS_RELOAD_S,
    ) -> None:
        self._channels = channels
        self._tls_reload_s = tls_reload_s
        self._tls_task: asyncio.Task[None] | None = None
        self._health_service = health_service
        self._load_interval_ms = load_interval_ms
        self._on_change = on_change
        self._close_grace_s = close_grace_s
        self._closing: set[asyncio.Task[None]] = set()
        self.workers: dict[str, Worker] = {}

    def start(self) -> None:
        """Start watching the client certificate files for rotation."""
        self._tls_task = asyncio.create_task(self._watch_tls_files(), name="worker tls files")

    async def _watch_tls_files(self) -> None:
        while True:
            await asyncio.sleep(self._tls_reload_s)
            if self._channels.reload_if_changed():
                log.info("client certificate changed; new worker connections use it")
                for worker in list(self.workers.values()):
                    self._reconnect(worker)

    def _reconnect(self, worker: Worker) -> None:
        """Send new calls over a fresh channel (new handshake, new certificate);
        the old channel closes once the streams still on it finish."""
        old = worker.channel
        for task in worker._tasks:
            task.cancel()
        worker.channel = self._channels.open(worker.address)
        worker.stub = worker_pb2_grpc.WorkerStub(worker.channel)
        worker._tasks = [asyncio.create_task(self._watch_health(worker), name=f"health {worker.address}")]
        self._close_later(old)

    def _close_later(self, channel: grpc.aio.Channel) -> None:
        task = asyncio.get_running_loop().create_task(channel.close(grace=self._close_grace_s))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def routable(self) -> list[Worker]:
        now = time.monotonic()
        return [w for w in self.workers.values() if w.routable(now)]

    def sync(self, addresses: Iterable[str]) -> None:
        """Make the pool hold exactly these addresses."""
        wanted = set(addresses)
        for address in list(self.workers):
            if address not in wanted:
                self._remove(address)
        for address in sorted(wanted - self.workers.keys()):
            self._add(address)

    def _add(self, address: str) -> None:
        worker = Worker(address, self._channels.open(address))
        self.workers[address] = worker
        worker._tasks.append(asyncio.create_task(self._watch_health(worker), name=f"health {address}"))
        log.info("worker added: %s", address)

    def _remove(self, address: str) -> None:
        worker = self.workers.pop(address)
        for task in worker._tasks:
            task.cancel()
        worker.removed = True
        worker.drop_series()
        # A worker leaves DNS as soon as it starts draining: let its in-flight streams
        # finish (up to the longest request) before the channel closes.
        self._close_later(worker.channel)
        log.info("worker removed: %s", address)
        self._changed()

    async def close(self) -> None:
        if self._tls_task is not None:
            self._tls_task.cancel()
        workers = list(self.workers.values())
        self.workers.clear()
        for worker in workers:
            for task in worker._tasks:
                task.cancel()
        for worker in workers:
            for task in worker._tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await worker.channel.close(grace=None)
        for task in list(self._closing):
            task.cancel()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def _set_serving(self, worker: Worker, serving: bool) -> None:
        if worker.serving != serving:
            worker.serving = serving
            if serving:
                worker.suspect_until = 0.0
            log.info("worker %s %s", worker.address, "serving" if serving else "not serving")
            self._changed()

    async def _watch_health(self, worker: Worker) -> None:
        """Follow the worker's readiness; on SERVING (re)load Info and follow WatchLoad."""
        health = health_pb2_grpc.HealthStub(worker.channel)
        request = health_pb2.HealthCheckRequest(service=self._health_service)
        load_task: asyncio.Task[None] | None = None
        try:
            while True:
                try:
                    # wait_for_ready: block while the worker is down rather than spin.
                    async for reply in health.Watch(request, wait_for_ready=True):
                        serving = reply.status == health_pb2.HealthCheckResponse.SERVING
                        if serving and (worker.info is None or load_task is None or load_task.done()):
                            worker.info = await worker.stub.Info(worker_pb2.InfoRequest(), timeout=10)
                            load_task = asyncio.create_task(self._watch_load(worker))
                        self._set_serving(worker, serving)
                except grpc.aio.AioRpcError as err:
                    log.debug("health watch on %s ended: %s", worker.address, err.code())
                self._set_serving(worker, False)
                if load_task is not None:
                    load_task.cancel()
                    load_task = None
                await asyncio.sleep(REWATCH_S)
        finally:
            if load_task is not None:
                load_task.cancel()

    async def _watch_load(self, worker: Worker) -> None:
        request = worker_pb2.WatchLoadRequest(interval_ms=self._load_interval_ms)
        try:
            async for report in worker.stub.WatchLoad(request):
                was_draining = worker.load.draining
                worker.observe(report)
                if report.draining != was_draining:
                    self._changed()
        except grpc.aio.AioRpcError as err:
            log.debug("load watch on %s ended: %s", worker.address, err.code())
