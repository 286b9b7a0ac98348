"""The one rule for a missing test prerequisite (redis-server, node, a compiler):
a failure under CI=true, where `make setup` must have installed it; a skip elsewhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Stop the test: fail under CI, skip with the reason otherwise."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing under CI: {reason}")
    pytest.skip(reason)
