"""Handles the bridge fixtures give to tests."""

from __future__ import annotations

from dataclasses import dataclass

from bridge_testing.fake_router import FakeInference
from bridge_testing.serve import LoopThread


@dataclass
class FakeStack:
    base_url: str
    servicer: FakeInference
    loop: LoopThread
