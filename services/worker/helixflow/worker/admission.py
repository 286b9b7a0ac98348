"""Admission for every backend: which requests are live, and who may join them.

A request is live from admission until its stream ends. While live, its id is
taken (a second request with the same id is refused), and the live count is
bounded by the running slots plus the waiting room. The table is not
thread-safe: a backend that shares it between threads holds its own lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from helixflow.common.errors import Draining, InvalidArgument, QueueFull

T = TypeVar("T")


class LiveRequests(Generic[T]):
    """Live requests by id, each with the backend's own record of it."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.draining = False
        self._items: dict[str, T] = {}

    def admit(self, request_id: str, item: T, *, retry_after_s: float) -> None:
        """Add ``item`` under ``request_id``, or raise the error that says why not."""
        self.check(request_id, retry_after_s=retry_after_s)
        self._items[request_id] = item

    def check(self, request_id: str, *, retry_after_s: float) -> None:
        """Raise Draining, InvalidArgument (no id, or the id is live) or QueueFull
        (with ``retry_after_s``) when a request with this id may not join now."""
        if self.draining:
            raise Draining("the worker is draining; retry on another worker")
        if not request_id:
            raise InvalidArgument("request_id must not be empty", field="request_id")
        if request_id in self._items:
            raise InvalidArgument(f"request id {request_id!r} is already running", field="request_id")
        if len(self._items) >= self.capacity:
            raise QueueFull(
                f"queue full: {len(self._items)} requests admitted, room for {self.capacity}",
                retry_after_s=round(retry_after_s, 2),
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
