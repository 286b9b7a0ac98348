"""Prices, cost bounds and budget periods as pure functions, and the one-process budget store."""

from __future__ import annotations

import calendar

import pytest

from helixflow.common.errors import InvalidArgument
from helixflow.router.access.pricing import Price, Pricing
from helixflow.router.access.quota.budget import Budget, MemoryBudgets, Refusal, Reservation, check_period, window
from helixflow.v1 import common_pb2

PRICING = Pricing(
    {"local": Price(prompt=0.1, completion=0.2), "remote": Price(prompt=3.0, cached=0.3, completion=15.0)},
    {"smart": ["local", "remote"]},
)


def test_cost_charges_cached_prompt_tokens_at_their_own_price() -> None:
    usage = common_pb2.Usage(prompt_tokens=1000, cached_tokens=400, completion_tokens=100)
    # 600 * 3.0 + 400 * 0.3 + 100 * 15.0 dollars per million = 3420e-6 dollars = 3_420_000 nano-dollars.
    assert PRICING.cost("remote", usage) == 3_420_000
    assert PRICING.cost("unpriced", usage) == 0
    # An alias is priced at its first target unless the answering target is known.
    assert PRICING.cost("smart", usage) == PRICING.cost("local", usage)


def test_bound_takes_the_dearest_target_of_a_chain() -> None:
    assert PRICING.bound("local", 100, 10) == 100 * 100 + 10 * 200
    assert PRICING.bound("smart", 100, 10) == PRICING.bound("remote", 100, 10) == 100 * 3000 + 10 * 15000


def test_periods() -> None:
    t = calendar.timegm((2026, 2, 14, 13, 5, 0))
    assert window("day", t) == (calendar.timegm((2026, 2, 14, 0, 0, 0)), calendar.timegm((2026, 2, 15, 0, 0, 0)))
    assert window("", t) == (calendar.timegm((2026, 2, 1, 0, 0, 0)), calendar.timegm((2026, 3, 1, 0, 0, 0)))
    start, end = window("3600s", t)
    assert (start % 3600, end - start) == (0, 3600)
    assert start <= t < end
    for bad in ("week", "0s", "-5s", "1h"):
        with pytest.raises(InvalidArgument):
            check_period(bad)


async def test_memory_budgets_reserve_all_or_nothing_and_settle() -> None:
    store, now = MemoryBudgets(), 1_000_000.0
    key, project = Budget("key:a", 100, "day"), Budget("project:p", 150, "day")
    first = await store.reserve([key, project], 80, now)
    assert isinstance(first, Reservation)
    refused = await store.reserve([project, key], 80, now)  # the project has 70 left: neither is charged
    assert isinstance(refused, Refusal)
    assert refused.budget == project
    assert (await store.spent(key, now), await store.spent(project, now)) == (80, 80)
    await store.settle(first, 30)
    assert (await store.spent(key, now), await store.spent(project, now)) == (30, 30)
    # The next period starts from nothing.
    assert await store.spent(key, now + 86_400) == 0
