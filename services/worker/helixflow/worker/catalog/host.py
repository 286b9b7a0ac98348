"""The catalog host: owns one engine per loaded model and decides when each loads and unloads.

- A request for a model that is not loaded waits while it loads (up to ``load_timeout_s``);
  concurrent requests share that one load.
- Loads run one at a time (native loading is slow and memory-hungry); a load first makes
  room: least recently used models are unloaded until the new one fits ``max_loaded_models``
  and the memory budget. A model with streams in flight is never unloaded under them: it
  stops taking new streams and goes once they finish. Pinned models never go.
- Models unused for ``idle_unload_s`` are unloaded.
- A failed load marks that model failed with the reason; the others keep serving.

Every state change wakes the waiters (one event, renewed on each change).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

from helixflow.common.errors import HelixError, ModelNotFound, ModelUnavailable, NoWorker
from helixflow.worker.catalog.entries import CatalogEntry, build_entries, cached_path, estimate_bytes, resolve_source
from helixflow.worker.catalog.metrics import CatalogMetrics
from helixflow.worker.catalog.settings import CatalogSettings
from helixflow.worker.catalog.slot import Budget, ModelSlot, ModelState, victims
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import Engine, LoadReport
from helixflow.worker.warmup import warm_up

log = logging.getLogger(__name__)
EngineFactory = Callable[[CatalogEntry, Path | None], Engine]


class CatalogHost:
    def __init__(
        self,
        entries: Sequence[CatalogEntry],
        factory: EngineFactory,
        policy: CatalogSettings,
        *,
        prebuilt: dict[str, Engine] | None = None,
        single: bool = False,
        warmup: bool = False,
        estimate: bool = True,
    ) -> None:
        self.policy = policy
        self.budget = Budget(policy.max_loaded_models, policy.memory_budget_mb * 1024 * 1024)
        self.slots = {e.id: ModelSlot(e) for e in entries}
        self._names = {name: e.id for e in entries for name in e.names}
        self._factory = factory
        self._estimate = estimate  # local weights to size (not for remote upstreams or the fake engine)
        self._warmup = warmup  # one short real decode before a model counts as loaded
        self.single = single  # one model and no catalog: every name means it (as before catalogs)
        self._load_lock = asyncio.Lock()
        self._retired_preemptions = 0  # of unloaded engines: the reported count never goes down
        self._tick = asyncio.Event()
        self._reaper: asyncio.Task[None] | None = None
        self.metrics: CatalogMetrics | None = None
        for model_id, engine in (prebuilt or {}).items():
            self.slots[model_id].engine = engine
            self.slots[model_id].owned = False

    @classmethod
    def from_settings(cls, settings: WorkerSettings, engine: Engine | None = None) -> CatalogHost:
        """The catalog the settings declare; ``engine``, when given, is the top-level model's
        engine, built (and perhaps loaded) by the caller, who also closes it."""
        from helixflow.worker.backends import make_engine

        entries = build_entries(settings)
        prebuilt = {settings.model_id: engine} if engine is not None else None
        return cls(
            entries,
            lambda entry, path: make_engine(entry.engine_settings(settings, path)),
            settings.catalog,
            prebuilt=prebuilt,
            single=not settings.catalog.enabled,
            warmup=settings.warmup,
            estimate=settings.backend in ("llama_cpp", "vllm"),
        )

    @classmethod
    def for_engine(cls, engine: Engine, model_id: str = "model") -> CatalogHost:
        """One loaded engine, no catalog: every request goes to it."""
        entry = CatalogEntry(model_id, (), "", "default", True, 0, 1)

        def no_factory(entry: CatalogEntry, path: Path | None) -> Engine:
            raise AssertionError("a host for one engine builds none")

        host = cls([entry], no_factory, CatalogSettings(), prebuilt={model_id: engine}, single=True)
        slot = host.slots[model_id]
        slot.state, slot.info = ModelState.LOADED, engine.info()
        return host

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Estimate sizes, load the pinned models, start the idle reaper. In a worker without
        a catalog a failed load raises (the worker cannot serve); with one it is reported."""
        for slot in self.slots.values() if self._estimate else ():
            path = await asyncio.to_thread(cached_path, slot.entry)
            slot.estimated_bytes = await asyncio.to_thread(estimate_bytes, slot.entry, path)
        for slot in self.slots.values():
            if slot.pinned:
                await self._ensure(slot)
                if slot.state is ModelState.FAILED and self.single:
                    raise RuntimeError(f"model {slot.id!r} failed to load: {slot.failure}")
        if self.policy.idle_unload_s > 0:
            self._reaper = asyncio.create_task(self._reap(), name="catalog idle unload")

    def ready(self) -> bool:
        return all(s.state in (ModelState.LOADED, ModelState.FAILED) for s in self.slots.values() if s.pinned)

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for slot in self.slots.values():
            if slot.load_task is not None:
                slot.load_task.cancel()
            engine, slot.engine = slot.engine, None
            if engine is not None and slot.owned:
                await engine.close()

    # -- requests ----------------------------------------------------------------------

    def find(self, name: str) -> ModelSlot:
        if self.single or (not name and len(self.slots) == 1):
            return next(iter(self.slots.values()))
        model_id = self._names.get(name)
        if model_id is None:
            known = ", ".join(sorted(self._names))
            raise ModelNotFound(f"model {name!r} is not in this worker's catalog; it has: {known}", field="model")
        return self.slots[model_id]

    @contextlib.asynccontextmanager
    async def lease(self, name: str) -> AsyncIterator[Engine]:
        """The model's engine for one call, loading it first if need be; while held, the
        model is not unloaded."""
        slot = self.find(name)
        engine = await self._ensure(slot, take=True)
        assert engine is not None
        try:
            yield engine
        finally:
            slot.refs -= 1
            slot.last_used = time.monotonic()
            self._changed()

    async def _ensure(self, slot: ModelSlot, *, take: bool = False) -> Engine | None:
        """Wait until the model serves (starting its load if no one has); with ``take``,
        count a stream on it. Raises its failure, or NoWorker past the load timeout."""
        deadline = time.monotonic() + self.policy.load_timeout_s
        while True:
            if take and slot.granted and slot.engine is not None:  # the load counted this stream already
                slot.granted -= 1
                return slot.engine
            engine = slot.serving()
            if engine is not None:
                if take:
                    slot.refs += 1
                slot.last_used = time.monotonic()
                return engine
            if slot.state is ModelState.FAILED:
                if not take:
                    return None
                raise ModelUnavailable(f"model {slot.id!r} failed to load: {slot.failure}")
            if slot.state is ModelState.AVAILABLE and slot.load_task is None:
                slot.state = ModelState.LOADING
                slot.load_task = asyncio.create_task(self._load(slot), name=f"load {slot.id}")
                self._changed()
            slot.waiters += take
            try:
                served = await self._wait(deadline)
            finally:
                slot.waiters -= take
            if not served:
                if slot.granted:  # one of the streams counted for the waiters is ours: give it back
                    slot.granted -= 1
                    slot.refs -= 1
                raise NoWorker(
                    f"model {slot.id!r} did not load within {self.policy.load_timeout_s:g} s "
                    f"(state {slot.state.value}); retry",
                    retry_after_s=1.0,
                )

    async def _load(self, slot: ModelSlot) -> None:
        started = time.monotonic()
        try:
            async with self._load_lock:
                await self._make_room(slot)
                path = await asyncio.to_thread(resolve_source, slot.entry)
                if self._estimate:
                    estimated = await asyncio.to_thread(estimate_bytes, slot.entry, path)
                    slot.estimated_bytes = estimated or slot.estimated_bytes
                engine = slot.engine if slot.engine is not None else self._factory(slot.entry, path)
                slot.engine = engine
                loading = time.monotonic()
                try:
                    await engine.load()
                    if self._warmup:  # the first decode pays for lazy set-up: keep it out of requests
                        await warm_up(engine)
                except BaseException:
                    slot.engine = None
                    if slot.owned:
                        with contextlib.suppress(Exception):
                            await engine.close()
                    raise
                slot.info = engine.info()
                slot.state, slot.failure = ModelState.LOADED, ""
                # Its waiters get their streams now, before another load can see it idle and evict it.
                slot.granted += slot.waiters
                slot.refs += slot.waiters
                slot.last_used = time.monotonic()
                log.info("model %s loaded in %.2f s", slot.id, slot.last_used - loading)
                self._observe_load(slot, "loaded", slot.last_used - started)
        except _RoomTimeout as err:
            slot.state = ModelState.AVAILABLE  # transient: the next request tries again
            log.warning("model %s not loaded: %s", slot.id, err)
        except Exception as err:  # any load failure is this model's, not the worker's
            slot.state, slot.failure = ModelState.FAILED, _describe(err)
            log.warning("model %s failed to load: %s", slot.id, slot.failure)
            self._observe_load(slot, "failed", time.monotonic() - started)
        finally:
            slot.load_task = None
            self._changed()

    async def _make_room(self, slot: ModelSlot) -> None:
        """Unload LRU models until ``slot`` fits; busy ones first finish their streams."""
        deadline = time.monotonic() + self.policy.load_timeout_s
        while True:
            chosen = victims(list(self.slots.values()), slot, self.budget)
            if chosen is None:
                raise ModelUnavailable(self._no_room(slot))
            if not chosen:
                return
            for victim in chosen:
                victim.evicting = True
            idle = [v for v in chosen if v.refs == 0]
            for victim in idle:
                await self._unload(victim, "evicted")
            if not idle and not await self._wait(deadline):
                for victim in chosen:
                    victim.evicting = False
                raise _RoomTimeout(f"streams on {', '.join(v.id for v in chosen)} did not finish in time")

    def _no_room(self, slot: ModelSlot) -> str:
        pinned = [s.id for s in self.slots.values() if s.pinned and s.resident]
        return (
            f"does not fit: needs about {slot.estimated_bytes / 2**20:.0f} MiB with max_loaded_models="
            f"{self.budget.max_models or 'unlimited'} and memory_budget_mb="
            f"{self.budget.max_bytes // 2**20 or 'unlimited'}; pinned and loaded: {', '.join(pinned) or 'none'}"
        )

    async def _unload(self, slot: ModelSlot, reason: str) -> None:
        """Free the model's engine (call with the load lock held, once its streams are done)."""
        slot.state = ModelState.UNLOADING
        self._changed()
        engine, slot.engine = slot.engine, None
        started = time.monotonic()
        try:
            if engine is not None and slot.owned:
                self._retired_preemptions += engine.load_report().preemptions
                await engine.close()
            elif engine is not None:
                slot.engine = engine  # not ours to close: keep it for the next "load"
        finally:
            slot.state, slot.evicting = ModelState.AVAILABLE, False
            log.info("model %s unloaded (%s)", slot.id, reason)
            if self.metrics is not None:
                self.metrics.unloads.labels(slot.id, reason).inc()
                self.metrics.unload_seconds.labels(slot.id).observe(time.monotonic() - started)
            self._changed()

    # -- operator actions ----------------------------------------------------------------

    async def load(self, name: str) -> ModelSlot:
        """Load now (retrying a failed model) and wait until it is loaded or failed."""
        slot = self.find(name)
        if slot.state is ModelState.FAILED:
            slot.state, slot.failure = ModelState.AVAILABLE, ""
        await self._ensure(slot)
        return slot

    async def unload(self, name: str) -> ModelSlot:
        """Unload once its streams finish. Pinned models refuse."""
        slot = self.find(name)
        if slot.pinned:
            raise ModelUnavailable(f"model {slot.id!r} is pinned; unpin it before unloading")
        deadline = time.monotonic() + self.policy.load_timeout_s
        while slot.load_task is not None and await self._wait(deadline):
            pass
        async with self._load_lock:
            if slot.state is not ModelState.LOADED:
                return slot
            slot.evicting = True
            while slot.refs and await self._wait(deadline):
                pass
            if slot.refs:
                slot.evicting = False
                raise NoWorker(f"model {slot.id!r} still has {slot.refs} streams in flight; retry", retry_after_s=1)
            await self._unload(slot, "admin")
        return slot

    async def pin(self, name: str, pinned: bool) -> ModelSlot:
        slot = self.find(name)
        slot.pinned = pinned
        self._changed()
        return await self.load(name) if pinned else slot

    async def _reap(self) -> None:
        idle_s = self.policy.idle_unload_s
        while True:
            await asyncio.sleep(min(self.policy.reap_interval_s, idle_s))
            now = time.monotonic()
            for slot in self.slots.values():
                if slot.pinned or slot.refs or slot.state is not ModelState.LOADED or now - slot.last_used < idle_s:
                    continue
                async with self._load_lock:  # re-check: a request may have come meanwhile
                    if not slot.pinned and not slot.refs and slot.serving() and now - slot.last_used >= idle_s:
                        await self._unload(slot, "idle")

    # -- reports -----------------------------------------------------------------------

    def primary(self) -> ModelSlot:
        """The model whose facts fill the top-level Info fields: the first loaded one, else the first."""
        for slot in self.slots.values():
            if slot.info is not None and slot.resident:
                return slot
        return next(iter(self.slots.values()))

    def evictions_needed(self, slot: ModelSlot) -> int:
        if slot.resident:
            return 0
        chosen = victims(list(self.slots.values()), slot, self.budget)
        return len(chosen) if chosen is not None else len(self.slots)

    def resident_bytes(self) -> int:
        return sum(s.estimated_bytes for s in self.slots.values() if s.resident)

    def alive(self) -> bool:
        return all(s.engine.alive() for s in self.slots.values() if s.state is ModelState.LOADED and s.engine)

    def load_report(self) -> LoadReport:
        """All loaded engines together: their queues add up, KV use is the fullest one's."""
        reports = [s.engine.load_report() for s in self.slots.values() if s.resident and s.engine is not None]
        if not reports:
            max_running = max(s.entry.max_sequences for s in self.slots.values())
            return LoadReport(0, 0, max_running, 0.0, 0.0, self._retired_preemptions)
        return LoadReport(
            waiting=sum(r.waiting for r in reports),
            running=sum(r.running for r in reports),
            max_running=sum(r.max_running for r in reports),
            kv_cache_usage=max(r.kv_cache_usage for r in reports),
            prefix_cache_hit_rate=sum(r.prefix_cache_hit_rate for r in reports) / len(reports),
            preemptions=self._retired_preemptions + sum(r.preemptions for r in reports),
        )

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        out: list[str] = []
        for slot in self.slots.values():
            if slot.engine is not None and slot.resident:
                out.extend(slot.engine.abort(request_ids))
        return out

    # -- internals ---------------------------------------------------------------------

    def _changed(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    async def _wait(self, deadline: float) -> bool:
        """Wait for the next state change; False once ``deadline`` passed."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            await asyncio.wait_for(self._tick.wait(), remaining)
        except TimeoutError:
            return False
        return True

    def _observe_load(self, slot: ModelSlot, outcome: str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.loads.labels(slot.id, outcome).inc()
            self.metrics.load_seconds.labels(slot.id).observe(seconds)


class _RoomTimeout(Exception):
    """Making room took longer than the load timeout (streams kept the victims busy)."""


def _describe(err: BaseException) -> str:
    if isinstance(err, HelixError):
        return err.message
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
