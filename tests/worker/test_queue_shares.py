"""The waiting room's share per priority class (helixflow.worker.admission)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from helixflow.common.errors import QueueFull
from helixflow.worker.admission import LiveRequests, QueueShares
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import PRIORITY_HIGH as HIGH
from helixflow.worker.engine import PRIORITY_LOW as LOW
from helixflow.worker.engine import PRIORITY_NORMAL as NORMAL

SLOTS, WAITING = 2, 8


def fill(live: LiveRequests[int], priority: int) -> int:
    """Admit requests of ``priority`` until one is refused; how many got in."""
    n = 0
    while True:
        try:
            live.admit(f"{priority}-{n}", n, priority=priority, retry_after_s=1.0)
        except QueueFull:
            return n
        n += 1


def test_a_low_flood_leaves_room_for_normal_and_high() -> None:
    live: LiveRequests[int] = LiveRequests(SLOTS, WAITING)
    assert fill(live, LOW) == SLOTS + WAITING // 2  # the slots, then half the waiting room
    assert fill(live, NORMAL) == WAITING * 3 // 4 - WAITING // 2
    assert fill(live, HIGH) == WAITING // 4
    assert len(live) == live.capacity


def test_a_refused_low_request_is_told_its_share_is_full() -> None:
    live: LiveRequests[int] = LiveRequests(SLOTS, WAITING)
    fill(live, LOW)
    with pytest.raises(QueueFull) as err:
        live.admit("one-more", 0, priority=LOW, retry_after_s=1.234)
    assert "low-priority share of the queue is full" in err.value.message
    assert "4 of 8 waiting places" in err.value.message
    assert err.value.retry_after_s == 1.23
    live.admit("high", 0, priority=HIGH, retry_after_s=1.0)  # the same moment, a HIGH gets in


def test_high_is_refused_only_when_the_whole_queue_is_full() -> None:
    live: LiveRequests[int] = LiveRequests(SLOTS, WAITING)
    assert fill(live, HIGH) == SLOTS + WAITING
    with pytest.raises(QueueFull) as err:
        live.check("x", priority=HIGH, retry_after_s=1.0)
    assert "share" not in err.value.message
    assert "room for 10" in err.value.message


def test_shares_are_settings_and_are_validated() -> None:
    live: LiveRequests[int] = LiveRequests(SLOTS, WAITING, QueueShares(low=1.0, normal=1.0))
    assert fill(live, LOW) == SLOTS + WAITING  # shares of 1: one queue for all, as before
    settings = WorkerSettings.model_validate({"queue_shares": {"low": 0.25}})
    assert settings.queue_shares == QueueShares(low=0.25, normal=0.75)
    with pytest.raises(ValidationError, match="must not exceed normal"):
        QueueShares(low=0.8, normal=0.5)
    with pytest.raises(ValidationError):
        QueueShares(low=1.5)
    with pytest.raises(ValidationError):
        QueueShares.model_validate({"low": "half"})
