"""The console's admin RPCs, kept out of the thin Admin servicer: worker snapshots,
finished requests and bucketed usage, converted to protobuf here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from google.protobuf import duration_pb2, timestamp_pb2

from helixflow.common.errors import InvalidArgument
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.pricing import usd
from helixflow.router.access.usage.buckets import MAX_BUCKETS, STEP_S, Finished, merge, round_step
from helixflow.router.catalog import worker_models
from helixflow.router.console.requests import RequestLog
from helixflow.router.pool import WorkerPool
from helixflow.router.routing import Router
from helixflow.v1 import admin_pb2

MIN_INTERVAL_MS = 100
DEFAULT_BACKLOG = 50


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def _duration(seconds: float) -> duration_pb2.Duration:
    d = duration_pb2.Duration()
    d.FromNanoseconds(int(seconds * 1e9))
    return d


class ConsoleFeeds:
    def __init__(self, pool: WorkerPool, router: Router, requests: RequestLog, keys: KeyService) -> None:
        self._pool = pool
        self._router = router
        self.requests = requests
        self._keys = keys

    def snapshot(self) -> admin_pb2.WatchWorkersResponse:
        now = time.monotonic()
        reply = admin_pb2.WatchWorkersResponse(time=_ts(time.time()))
        for address, w in sorted(self._pool.workers.items()):
            load = w.load
            reply.workers.add(
                address=address,
                serving=w.serving,
                routable=w.routable(now),
                draining=load.draining,
                model_id=w.model_id,
                aliases=self._router.aliases_of(w.model_id) if w.model_id else [],
                backend=w.info.backend if w.info is not None else "",
                waiting=load.waiting,
                running=load.running,
                max_running=load.max_running,
                kv_cache_usage=load.kv_cache_usage,
                prefix_cache_hit_rate=load.prefix_cache_hit_rate,
                router_inflight=max(0, w.inflight),
                models=list(worker_models(w).values()),
                preemptions=load.preemptions,
            )
        return reply

    async def watch_workers(
        self, request: admin_pb2.WatchWorkersRequest
    ) -> AsyncIterator[admin_pb2.WatchWorkersResponse]:
        interval = max(MIN_INTERVAL_MS, request.interval_ms or 1000) / 1000.0
        while True:
            yield self.snapshot()
            await asyncio.sleep(interval)

    async def _names(self) -> dict[str, str]:
        return {r.key_id: r.name for r in await self._keys.store.list()}

    def _record(self, item: Finished, names: dict[str, str]) -> admin_pb2.WatchRequestsResponse:
        record = admin_pb2.RequestRecord(
            request_id=item.request_id,
            key_id=item.subject,
            key_name=names.get(item.subject, ""),
            method=item.method,
            model=item.model,
            prompt_tokens=item.prompt_tokens,
            completion_tokens=item.completion_tokens,
            status=item.status,
            latency=_duration(item.latency_s),
            finished_at=_ts(item.finished_at),
            cost_usd=usd(item.cost_nanos),
        )
        if item.ttft_s is not None:
            record.time_to_first_token.CopyFrom(_duration(item.ttft_s))
        return admin_pb2.WatchRequestsResponse(request=record)

    async def watch_requests(
        self, request: admin_pb2.WatchRequestsRequest
    ) -> AsyncIterator[admin_pb2.WatchRequestsResponse]:
        queue = self.requests.subscribe()  # before the backlog, so nothing falls between them
        try:
            names = await self._names()
            backlog = self.requests.recent(request.backlog or DEFAULT_BACKLOG)
            for item in backlog:
                yield self._record(item, names)
            seen = {id(item) for item in backlog}
            while True:
                item = await queue.get()
                if id(item) in seen:
                    continue
                seen.clear()
                if item.subject not in names:
                    names = await self._names()
                yield self._record(item, names)
        finally:
            self.requests.unsubscribe(queue)

    async def buckets(
        self, request: admin_pb2.GetUsageRequest, response: admin_pb2.GetUsageResponse, subjects: set[str] | None = None
    ) -> None:
        """Fill ``response.buckets`` for the request's range (only when start_time is set),
        only for ``subjects`` when given (a project's keys)."""
        if not request.HasField("start_time"):
            return
        start = int(request.start_time.ToNanoseconds() // 1_000_000_000)
        end = int(request.end_time.ToNanoseconds() // 1_000_000_000) if request.HasField("end_time") else None
        end = end if end is not None else int(time.time()) + 1
        step = round_step(request.step.ToNanoseconds() / 1e9 if request.HasField("step") else 60)
        if end <= start:
            raise InvalidArgument("end_time must be after start_time", field="end_time")
        if (end - start) // STEP_S > MAX_BUCKETS:
            raise InvalidArgument(f"the range spans more than {MAX_BUCKETS * STEP_S} s", field="start_time")
        raw = await self.requests.buckets.read(start, end)
        wanted = [
            b
            for b in raw
            if (not request.key_id or b.subject == request.key_id)
            and (not request.model or b.model == request.model)
            and (subjects is None or b.subject in subjects)
        ]
        for b in merge(wanted, start, step):
            response.buckets.add(
                start_time=_ts(b.start),
                key_id=b.subject,
                model=b.model,
                requests=b.requests,
                prompt_tokens=b.prompt_tokens,
                completion_tokens=b.completion_tokens,
                errors=b.errors,
                ttft_ms_sum=b.ttft_ms_sum,
                ttft_count=b.ttft_count,
                cost_usd=usd(b.cost_nanos),
            )
