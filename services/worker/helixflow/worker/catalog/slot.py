"""One catalogued model's live state, and the eviction choice over them (LRU under a count
and a memory budget). Plain data: the host (``helixflow.worker.catalog.host``) drives it."""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Sequence
from dataclasses import dataclass

from helixflow.worker.catalog.entries import CatalogEntry
from helixflow.worker.engine import Engine, EngineInfo


class ModelState(enum.Enum):
    AVAILABLE = "available"
    LOADING = "loading"
    LOADED = "loaded"
    UNLOADING = "unloading"
    FAILED = "failed"


class ModelSlot:
    """A catalog entry and, while loaded, its engine. ``refs`` counts streams in flight:
    a model is never unloaded while it is above zero."""

    __slots__ = (
        "engine",
        "entry",
        "estimated_bytes",
        "evicting",
        "failure",
        "granted",
        "info",
        "last_used",
        "load_task",
        "owned",
        "pinned",
        "refs",
        "state",
        "waiters",
    )

    def __init__(self, entry: CatalogEntry, estimated_bytes: int = 0) -> None:
        self.entry = entry
        self.state = ModelState.AVAILABLE
        self.failure = ""
        self.engine: Engine | None = None
        self.owned = True  # False for an engine handed in already built: never closed here
        self.info: EngineInfo | None = None  # from the last load: capabilities outlive an unload
        self.refs = 0
        self.last_used = time.monotonic()
        self.pinned = entry.pinned
        self.estimated_bytes = estimated_bytes
        self.evicting = False  # an unload waits for the streams in flight: no new ones start
        self.load_task: asyncio.Task[None] | None = None
        self.waiters = 0  # requests waiting for this model to serve
        self.granted = 0  # streams a finished load counted for its waiters, not yet claimed

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def resident(self) -> bool:
        return self.state in (ModelState.LOADED, ModelState.UNLOADING)

    def serving(self) -> Engine | None:
        """The engine when a new stream may start on it."""
        if self.state is ModelState.LOADED and not self.evicting:
            return self.engine
        return None


@dataclass(frozen=True, slots=True)
class Budget:
    max_models: int  # 0 = no limit
    max_bytes: int  # 0 = no limit

    def fits(self, resident: Sequence[ModelSlot], new: ModelSlot) -> bool:
        if self.max_models and len(resident) + 1 > self.max_models:
            return False
        return not self.max_bytes or sum(s.estimated_bytes for s in resident) + new.estimated_bytes <= self.max_bytes


def victims(slots: Sequence[ModelSlot], new: ModelSlot, budget: Budget) -> list[ModelSlot] | None:
    """The loaded models to unload so ``new`` fits, least recently used first and idle ones
    before busy ones; None when it cannot fit even so (pinned models stay)."""
    resident = [s for s in slots if s.resident and s is not new]
    if budget.max_bytes and new.estimated_bytes > budget.max_bytes:
        return None
    order = sorted((s for s in resident if not s.pinned), key=lambda s: (s.refs > 0, s.last_used))
    chosen: list[ModelSlot] = []
    while not budget.fits(resident, new):
        if not order:
            return None
        victim = order.pop(0)
        chosen.append(victim)
        resident.remove(victim)
    return chosen
