"""The vLLM worker's priority value (``vllm_priority``): vLLM runs lower values first and
sorts each waiting request once, so aging is folded into one value fixed at arrival."""

from __future__ import annotations

import pytest

from helixflow.worker.backends.vllm import vllm_priority
from helixflow.worker.engine import PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_NORMAL

AGING_S = 30.0
T0 = 5000.0  # a monotonic clock reading


def test_strict_priority_is_the_class_alone() -> None:
    values = [vllm_priority(p, 0.0, T0) for p in (PRIORITY_HIGH, PRIORITY_NORMAL, PRIORITY_LOW)]
    assert values == [0, 1, 2]


@pytest.mark.parametrize(
    ("older", "newer", "newer_after_periods", "first"),
    [
        (PRIORITY_LOW, PRIORITY_HIGH, 1.5, "newer"),  # LOW has risen one class only: HIGH goes first
        (PRIORITY_LOW, PRIORITY_HIGH, 2.5, "older"),  # LOW has reached HIGH, and is older
        (PRIORITY_NORMAL, PRIORITY_HIGH, 0.5, "newer"),
        (PRIORITY_NORMAL, PRIORITY_HIGH, 1.5, "older"),
        (PRIORITY_NORMAL, PRIORITY_NORMAL, 0.01, "older"),  # one class: by arrival
        (PRIORITY_HIGH, PRIORITY_LOW, 0.0, "older"),
    ],
)
def test_an_aged_value_orders_as_the_class_risen_by_the_wait(
    older: int, newer: int, newer_after_periods: float, first: str
) -> None:
    old = vllm_priority(older, AGING_S, T0)
    new = vllm_priority(newer, AGING_S, T0 + newer_after_periods * AGING_S)
    assert isinstance(old, int)  # vLLM's field is an int
    assert isinstance(new, int)
    assert (old < new) == (first == "older")
