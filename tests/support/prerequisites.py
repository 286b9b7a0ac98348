"""The one rule for a missing test prerequisite (redis-server, node, a compiler):
a failure under CI=true, where `make setup` must have installed it; a skip elsewhere."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, *, module_level: bool = False) -> NoReturn:
    """Stop the test (or the module): fail under CI, skip with the reason otherwise."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing under CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)
