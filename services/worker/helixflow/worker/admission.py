"""Admission for every backend: which requests are live, and who may join them.

A request is live from admission until its stream ends. While live, its id is
taken (a second request with the same id is refused), and the live count is
bounded by the running slots plus the waiting room, of which each priority
class may fill only its share (``QueueShares``). The table is not
thread-safe: a backend that shares it between threads holds its own lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Self, TypeVar

from pydantic import BaseModel, Field, model_validator

from helixflow.common.errors import Draining, InvalidArgument, QueueFull
from helixflow.worker.engine import PRIORITY_LOW, PRIORITY_NORMAL

T = TypeVar("T")


class QueueShares(BaseModel):
    """How much of the waiting room (``max_waiting``) each class may fill.

    A lower class stops being admitted once the queue reaches its share, so the rest
    stays free for higher ones: a flood of LOW requests fills at most half the queue,
    NORMAL three quarters, and a HIGH request is refused only when the whole queue is
    full. Half and three quarters leave each class above LOW a quarter of the queue of
    its own while still letting a lone LOW workload queue deep enough to keep the slots
    busy. The running slots are never reserved: a free slot goes to whoever asks first
    (a higher class may then preempt a lower one's prefill).
    """

    model_config = {"extra": "forbid", "frozen": True}

    low: float = Field(0.5, ge=0, le=1, description="share of the waiting room LOW requests may fill, 0..1")
    normal: float = Field(0.75, ge=0, le=1, description="share of the waiting room NORMAL requests may fill, 0..1")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.normal:
            raise ValueError(f"queue share low ({self.low}) must not exceed normal ({self.normal})")
        return self

    def share(self, priority: int) -> tuple[float, str]:
        """The share of ``priority``'s class and its name; HIGH (or above) may fill it all."""
        if priority <= PRIORITY_LOW:
            return self.low, "low"
        if priority == PRIORITY_NORMAL:
            return self.normal, "normal"
        return 1.0, "high"


class LiveRequests(Generic[T]):
    """Live requests by id, each with the backend's own record of it."""

    def __init__(self, slots: int, waiting: int, shares: QueueShares | None = None) -> None:
        self.slots = slots
        self.waiting = waiting
        self.capacity = slots + waiting
        self.shares = shares or QueueShares()
        self.draining = False
        self._items: dict[str, T] = {}

    def admit(self, request_id: str, item: T, *, priority: int = PRIORITY_NORMAL, retry_after_s: float) -> None:
        """Add ``item`` under ``request_id``, or raise the error that says why not."""
        self.check(request_id, priority=priority, retry_after_s=retry_after_s)
        self._items[request_id] = item

    def check(self, request_id: str, *, priority: int = PRIORITY_NORMAL, retry_after_s: float) -> None:
        """Raise Draining, InvalidArgument (no id, or the id is live) or QueueFull
        (with ``retry_after_s``) when a request with this id and priority may not join now.

        Live requests beyond the slots are (at least) the waiting ones, so a class is
        refused once they reach its share of the waiting room."""
        if self.draining:
            raise Draining("the worker is draining; retry on another worker")
        if not request_id:
            raise InvalidArgument("request_id must not be empty", field="request_id")
        if request_id in self._items:
            raise InvalidArgument(f"request id {request_id!r} is already running", field="request_id")
        retry = round(retry_after_s, 2)
        if len(self._items) >= self.capacity:
            raise QueueFull(
                f"queue full: {len(self._items)} requests admitted, room for {self.capacity}", retry_after_s=retry
            )
        share, name = self.shares.share(priority)
        room = int(share * self.waiting)
        if len(self._items) >= self.slots + room:
            raise QueueFull(
                f"queue full: the {name}-priority share of the queue is full ({room} of {self.waiting} waiting "
                f"places; the rest is kept for higher priorities)",
                retry_after_s=retry,
            )

    def get(self, request_id: str) -> T | None:
        return self._items.get(request_id)

    def pop(self, request_id: str) -> T | None:
        return self._items.pop(request_id, None)

    def remove(self, request_id: str, item: T) -> None:
        """Forget ``request_id`` if it still names ``item``: after an abort, a retry may
        already have taken the id again, and that one stays live."""
        if self._items.get(request_id) is item:
            del self._items[request_id]

    def clear(self) -> list[T]:
        items = list(self._items.values())
        self._items.clear()
        return items

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
